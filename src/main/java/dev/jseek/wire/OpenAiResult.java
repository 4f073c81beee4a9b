package dev.jseek.wire;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jseek.Generator;
import dev.jseek.chat.ChatTurn;
import dev.jseek.chat.ToolCall;

import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/** What goes back in OpenAI's shape: the finish reason, the usage, the tool calls, and the random ids. */
public final class OpenAiResult {
    private OpenAiResult() {
    }

    /** Why a reply ended, as every API names it from the runtime's stop reason (one mapping for all callers). */
    public enum Finish {
        STOP, LENGTH, TOOL_CALLS, CANCELLED;

        /** OpenAI's finish_reason. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** length before tool_calls: a reply cut off by max_tokens or the context is not one to act on. */
        public static Finish of(Generator.StopReason stop, boolean toolCalls) {
            return switch (stop) {
                case MAX_TOKENS, CONTEXT_FULL -> LENGTH;
                case CANCELLED -> CANCELLED;
                case END_OF_GENERATION, STOPPED -> toolCalls ? TOOL_CALLS : STOP;
            };
        }

        public static Finish of(ChatTurn turn) {
            return of(turn.stop(), !turn.toolCalls().isEmpty());
        }
    }

    /** {prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details.cached_tokens, completion_tokens_details.reasoning_tokens}. */
    public static ObjectNode usage(ChatTurn.Stats s) {
        ObjectNode usage = usage(s.promptTokens(), s.generatedTokens());
        usage.putObject("prompt_tokens_details").put("cached_tokens", s.promptTokens() - s.decodedPromptTokens());
        usage.putObject("completion_tokens_details").put("reasoning_tokens", s.reasoningTokens());
        return usage;
    }

    /** The usage of a raw completion: no cache and no reasoning. */
    public static ObjectNode usage(int promptTokens, int completionTokens) {
        ObjectNode usage = JsonNodeFactory.instance.objectNode();
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return usage;
    }

    /**
     * [{"id", "type": "function", "function": {"name", "arguments"}}], arguments as JSON text as OpenAI sends them; a
     * call without an id (the template's parser gave none) gets a random {@code call_} id, as OpenAI's have one.
     */
    public static ArrayNode toolCalls(List<ToolCall> calls) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        for (ToolCall c : calls) {
            ObjectNode call = array.addObject();
            call.put("id", c.id().isEmpty() ? randomId("call_") : c.id());
            call.put("type", "function");
            ObjectNode function = call.putObject("function");
            function.put("name", c.name());
            function.put("arguments", c.arguments());
        }
        return array;
    }

    /** An id as OpenAI's API makes them: {@code prefix} and 24 random hex digits. */
    public static String randomId(String prefix) {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return prefix + HexFormat.of().formatHex(b);
    }
}
