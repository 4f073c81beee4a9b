package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jseek.InvalidRequestException;
import dev.jseek.chat.ChatEngine;
import dev.jseek.chat.ChatInputException;
import dev.jseek.wire.InvalidFieldException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writing whole responses, and turning any failure into the OpenAI error it is answered with. */
final class Responses {
    private Responses() {
    }

    static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json", body.toString());
    }

    static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType + "; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** Adds the response's one choice (index 0, no logprobs) with its finish reason, null while a stream goes on. */
    static ObjectNode choice(ObjectNode response, String finishReason) {
        ObjectNode choice = response.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return choice;
    }

    /**
     * The one place a failure becomes the OpenAI error it is answered with: its own for an {@link ApiError}, 400 for
     * the caller's mistake ({@link InvalidRequestException}, with the wire's error code where a field was wrong), 503 for a full queue, else a 500 that names it.
     */
    static ApiError error(Throwable t) {
        return switch (t) {
            case ApiError a -> a;
            case ChatEngine.Busy b -> new ApiError(503, "server_error", "server_busy", b.getMessage());
            case ChatInputException c when c.kind() == ChatInputException.Kind.CONTEXT_OVERFLOW ->
                    ApiError.badRequest("context_length_exceeded", c.getMessage());
            case InvalidFieldException f -> ApiError.badRequest(f.code().wireName(), f.getMessage());
            case InvalidRequestException r -> ApiError.invalidValue(r.getMessage());
            default -> new ApiError(500, "server_error", "internal_error", "The server failed on this request: "
                    + (t.getMessage() == null ? t.getClass().getSimpleName() + " (a bug in jseek; please report it)" : t.getMessage()));
        };
    }
}
