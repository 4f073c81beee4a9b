package dev.jseek.wire;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jseek.chat.ChatTurn;

import java.util.List;
import java.util.Locale;

/**
 * jseek's own record of a finished turn, the one shape {@code jseek run --json} prints and each {@code jseek batch}
 * record holds: reasoning, answer, tool_calls (OpenAI's shape), partial_tool_call, stop and stats.
 */
public final class TurnRecord {
    private TurnRecord() {
    }

    /** Adds the turn's fields to {@code record} (a batch record already holds its id). */
    public static ObjectNode put(ObjectNode record, ChatTurn turn) {
        record.put("reasoning", turn.reasoning());
        record.put("answer", turn.answer());
        if (!turn.toolCalls().isEmpty()) {
            record.set("tool_calls", OpenAiResult.toolCalls(turn.toolCalls()));
        }
        if (turn.partialToolCall() != null) {
            // cut off by the token limit: its arguments are not whole JSON, so no tool can run it
            record.set("partial_tool_call", OpenAiResult.toolCalls(List.of(turn.partialToolCall())).get(0));
        }
        record.put("stop", turn.stop().name().toLowerCase(Locale.ROOT));
        record.set("stats", stats(turn.stats()));
        return record;
    }

    public static ObjectNode of(ChatTurn turn) {
        return put(JsonNodeFactory.instance.objectNode(), turn);
    }

    /** The stats, one shape everywhere: counts, speeds, and seconds. */
    public static ObjectNode stats(ChatTurn.Stats s) {
        ObjectNode stats = JsonNodeFactory.instance.objectNode();
        stats.put("prompt_tokens", s.promptTokens());
        stats.put("cached_prompt_tokens", s.promptTokens() - s.decodedPromptTokens());
        stats.put("prompt_tokens_per_second", s.promptTokensPerSecond());
        stats.put("generated_tokens", s.generatedTokens());
        stats.put("reasoning_tokens", s.reasoningTokens());
        stats.put("generation_tokens_per_second", s.generationTokensPerSecond());
        stats.put("first_token_seconds", s.firstTokenNanos() / 1e9);
        stats.put("reasoning_seconds", s.reasoningNanos() / 1e9);
        return stats;
    }
}
