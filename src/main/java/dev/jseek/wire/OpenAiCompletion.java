package dev.jseek.wire;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jseek.chat.ReplyOptions;

import java.util.List;
import java.util.Set;

import static dev.jseek.wire.InvalidFieldException.invalid;

/**
 * An OpenAI legacy completions request ({@code POST /v1/completions}): a prompt continued as raw text. Its sampling,
 * max_tokens and stop fields are read as a chat request's are ({@link OpenAiReply#sampling}), with the same sentences.
 */
public final class OpenAiCompletion {
    private static final Set<String> FIELDS = Set.of("model", "prompt", "max_tokens", "temperature", "top_p", "seed", "stop",
            "stream", "stream_options", "n", "echo", "user", "frequency_penalty", "presence_penalty", "top_k", "min_p",
            "logprobs", "suffix", "best_of");
    /** OpenAI's default for completions (chat's is the server's --max-tokens). */
    private static final int DEFAULT_MAX_TOKENS = 16;

    private OpenAiCompletion() {
    }

    /** @param reply the sampling, max_tokens and stop strings to use */
    public record Request(String prompt, boolean stream, boolean includeUsage, ReplyOptions reply) {
    }

    /** Reads a request; {@code base}'s sampling is what the request's fields change. */
    public static Request read(JsonNode body, ReplyOptions base) {
        Fields.object(body, "The request body");
        Fields.known(body, FIELDS, null);
        if (body.path("echo").asBoolean(false) || body.hasNonNull("suffix") || body.hasNonNull("logprobs")
                || (body.hasNonNull("best_of") && body.get("best_of").asInt() != 1) || (body.hasNonNull("n") && body.get("n").asInt() != 1)) {
            throw invalid("echo, suffix, logprobs, best_of and n other than 1 are not supported by this server.");
        }
        JsonNode p = body.get("prompt");
        if (p != null && p.isArray() && p.size() == 1) {
            p = p.get(0);
        }
        if (p == null || !p.isTextual() || p.asText().isEmpty()) {
            throw new InvalidFieldException(InvalidFieldException.Code.MISSING_REQUIRED_PARAMETER,
                    "prompt must be a non-empty string (or an array of one).");
        }
        Integer maxTokens = Fields.integer(body, "max_tokens");
        if (maxTokens != null && maxTokens < 1) {
            throw invalid("max_tokens must be at least 1, not " + maxTokens + ".");
        }
        List<String> stop = Fields.strings(body, "stop");
        ReplyOptions reply = base.withSampling(OpenAiReply.sampling(body, base.sampling()))
                .withMaxTokens(maxTokens == null ? DEFAULT_MAX_TOKENS : maxTokens)
                .withStopStrings(stop == null ? List.of() : stop);
        JsonNode options = body.get("stream_options");
        boolean includeUsage = options != null && options.isObject() && Fields.bool(options, "include_usage", false);
        return new Request(p.asText(), Fields.bool(body, "stream", false), includeUsage, reply);
    }
}
