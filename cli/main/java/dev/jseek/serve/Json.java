package dev.jseek.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;

/** The one JSON mapper of the server, strict about what clients send: duplicate keys and trailing garbage are errors. */
final class Json {
    /**
     * The deepest nesting a body may have. OpenAI requests nest a few levels (a tool's JSON Schema a few more);
     * the limit keeps a hostile body from costing stack in every reader after the parser (ours, and llama.cpp's).
     */
    static final int MAX_DEPTH = 128;

    static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build()).build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private Json() {
    }

    /** Parses a request body; malformed JSON is a 400 naming where it broke. */
    static JsonNode parse(byte[] body) {
        try {
            JsonNode node = MAPPER.readTree(body);
            if (node == null || node.isMissingNode()) {
                throw ApiError.badRequest("invalid_json", "The request body is empty; send a JSON object.");
            }
            return node;
        } catch (StreamConstraintsException e) {
            throw ApiError.badRequest("invalid_json", "The request body nests JSON deeper than " + MAX_DEPTH
                    + " levels" + at(e.getLocation()) + "; this server reads no deeper.");
        } catch (JsonProcessingException e) {
            throw ApiError.badRequest("invalid_json", "The request body is not valid JSON (" + e.getOriginalMessage() + at(e.getLocation()) + ").");
        } catch (IOException e) {
            throw ApiError.badRequest("invalid_json", "The request body could not be read (" + e.getMessage() + ").");
        }
    }

    /** " at line L, column C", or nothing where the parser gave no place. */
    private static String at(JsonLocation where) {
        return where == null ? "" : " at line " + where.getLineNr() + ", column " + where.getColumnNr();
    }
}
