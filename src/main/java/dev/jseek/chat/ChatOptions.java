package dev.jseek.chat;

import dev.jseek.ContextParams;
import dev.jseek.Grammar;
import dev.jseek.SamplerParams;

/**
 * How a {@link ChatSession} runs.
 *
 * @param template        the chat template; null = the model's own
 * @param context         context (KV cache) settings; one sequence is used
 * @param sampling        sampler settings
 * @param maxTokens       most tokens per reply, reasoning included
 * @param thinking        let reasoning models think (R1); false pre-fills an empty reasoning block
 * @param reasoningBudget most reasoning tokens before {@code </think>} is forced; -1 = no limit
 * @param overflow        what to do when the conversation no longer fits the context
 * @param stopStrings     the answer ends before the first of these (they are not part of it)
 * @param grammar         constrains the answer (not the reasoning); null for free text
 */
public record ChatOptions(ChatTemplate template, ContextParams context, SamplerParams sampling, int maxTokens,
                          boolean thinking, int reasoningBudget, Overflow overflow, java.util.List<String> stopStrings,
                          Grammar grammar) {

    public ChatOptions {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens per reply must be at least 1, not " + maxTokens);
        }
        if (reasoningBudget < -1) {
            throw new IllegalArgumentException("reasoning budget must be -1 (no limit) or at least 0, not " + reasoningBudget);
        }
        stopStrings = java.util.List.copyOf(stopStrings);
        if (stopStrings.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("a stop string must not be empty");
        }
        if (context.sequences() != 1) {
            throw new IllegalArgumentException("a chat session uses one sequence, not " + context.sequences());
        }
    }

    /** When the next prompt would not fit the context. */
    public enum Overflow {
        /** Throw an error naming both sizes (the default: never lose anything silently). */
        FAIL,
        /** Drop the oldest user/assistant turns (never the system prompt) and tell the listener. */
        DROP_OLDEST
    }

    /** The model's template, 4096 tokens, DeepSeek-R1 sampling, 2048 tokens per reply, thinking on. */
    public static ChatOptions defaults() {
        return new ChatOptions(null, ContextParams.defaults(), SamplerParams.deepSeekR1(), 2048, true, -1, Overflow.FAIL, java.util.List.of(), null);
    }

    public ChatOptions withTemplate(ChatTemplate t) {
        return new ChatOptions(t, context, sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar);
    }

    public ChatOptions withContext(ContextParams c) {
        return new ChatOptions(template, c, sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar);
    }

    public ChatOptions withSampling(SamplerParams s) {
        return new ChatOptions(template, context, s, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar);
    }

    public ChatOptions withMaxTokens(int n) {
        return new ChatOptions(template, context, sampling, n, thinking, reasoningBudget, overflow, stopStrings, grammar);
    }

    public ChatOptions withThinking(boolean on) {
        return new ChatOptions(template, context, sampling, maxTokens, on, reasoningBudget, overflow, stopStrings, grammar);
    }

    public ChatOptions withReasoningBudget(int tokens) {
        return new ChatOptions(template, context, sampling, maxTokens, thinking, tokens, overflow, stopStrings, grammar);
    }

    public ChatOptions withStopStrings(java.util.List<String> stops) {
        return new ChatOptions(template, context, sampling, maxTokens, thinking, reasoningBudget, overflow, stops, grammar);
    }

    /** Constrains each answer to a grammar, e.g. {@link Grammar#json()}; null for free text. */
    public ChatOptions withGrammar(Grammar g) {
        return new ChatOptions(template, context, sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, g);
    }

    public ChatOptions withOverflow(Overflow o) {
        return new ChatOptions(template, context, sampling, maxTokens, thinking, reasoningBudget, o, stopStrings, grammar);
    }
}
