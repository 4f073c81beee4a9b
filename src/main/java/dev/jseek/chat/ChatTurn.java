package dev.jseek.chat;

import dev.jseek.Generator;

/**
 * One finished reply.
 *
 * @param reasoning the reasoning text (empty if the model did not think); never sent back to the model
 * @param answer    the answer text, as kept in the history
 * @param toolCalls the tool calls in the reply, parsed by llama.cpp's parser for the template's format
 * @param partialToolCall a call the reply was still writing when it ended (the token limit cut it: its arguments are
 *                  not whole JSON, so it is not in {@code toolCalls} and no tool can run it); null when there is none
 * @param stop      why generation ended
 * @param stats     the turn's figures
 */
public record ChatTurn(String reasoning, String answer, java.util.List<ToolCall> toolCalls, ToolCall partialToolCall,
                       Generator.StopReason stop, Stats stats) {

    public ChatTurn {
        toolCalls = java.util.List.copyOf(toolCalls);
    }

    public ChatTurn(String reasoning, String answer, java.util.List<ToolCall> toolCalls, Generator.StopReason stop, Stats stats) {
        this(reasoning, answer, toolCalls, null, stop, stats);
    }

    public ChatTurn(String reasoning, String answer, Generator.StopReason stop, Stats stats) {
        this(reasoning, answer, java.util.List.of(), null, stop, stats);
    }

    /**
     * @param promptTokens      tokens of the whole formatted conversation
     * @param decodedPromptTokens tokens actually decoded for this turn (the rest came from the KV cache)
     * @param generatedTokens   tokens generated, reasoning included
     * @param reasoningTokens   of those, reasoning
     * @param promptNanos       time to decode the new prompt tokens
     * @param firstTokenNanos   time from the call to the first generated token
     * @param reasoningNanos    time spent reasoning
     * @param generationNanos   time spent generating
     */
    public record Stats(int promptTokens, int decodedPromptTokens, int generatedTokens, int reasoningTokens,
                        long promptNanos, long firstTokenNanos, long reasoningNanos, long generationNanos) {
        public double promptTokensPerSecond() {
            return promptNanos == 0 ? 0 : decodedPromptTokens * 1e9 / promptNanos;
        }

        public double generationTokensPerSecond() {
            return generationNanos == 0 ? 0 : generatedTokens * 1e9 / generationNanos;
        }
    }
}
