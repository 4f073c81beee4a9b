package dev.jseek.chat;

import dev.jseek.ContextParams;
import dev.jseek.Grammar;
import dev.jseek.SamplerParams;

import java.util.List;

/**
 * How a {@link ChatSession} runs.
 *
 * @param template        the chat template; null = the model's own
 * @param context         context (KV cache) settings; one sequence is used
 * @param sampling        sampler settings
 * @param maxTokens       most tokens per reply, reasoning included
 * @param thinking        let reasoning models think: the template's switch (V3.1+), or R1's open block; false
 *                        closes it
 * @param reasoningBudget most reasoning tokens before {@code </think>} is forced; -1 = no limit
 * @param overflow        what to do when the conversation no longer fits the context
 * @param stopStrings     the answer ends before the first of these (they are not part of it)
 * @param grammar         constrains the answer (not the reasoning); null for free text
 * @param tools           tools the model may call, and the tool choice; null for none (Jinja templates only)
 * @param reasoningEffort the template's reasoning-effort level (V4: high, max; "none" = thinking off); null =
 *                        the template's default
 */
public record ChatOptions(ChatTemplate template, ContextParams context, SamplerParams sampling, int maxTokens,
                          boolean thinking, int reasoningBudget, Overflow overflow, List<String> stopStrings,
                          Grammar grammar, ChatTools tools, String reasoningEffort) {

    public ChatOptions {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens per reply must be at least 1, not " + maxTokens);
        }
        if (reasoningBudget < -1) {
            throw new IllegalArgumentException("reasoning budget must be -1 (no limit) or at least 0, not " + reasoningBudget);
        }
        stopStrings = List.copyOf(stopStrings);
        if (stopStrings.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("a stop string must not be empty");
        }
        if (context.sequences() != 1) {
            throw new IllegalArgumentException("a chat session uses one sequence, not " + context.sequences());
        }
        if (grammar != null && tools != null && tools.choice() == ChatTools.Choice.REQUIRED) {
            throw new IllegalArgumentException("a grammar (or JSON schema) and tool choice 'required' both constrain the answer; choose one");
        }
        if (reasoningEffort != null && reasoningEffort.isBlank()) {
            throw new IllegalArgumentException("reasoning effort must not be blank; leave it out for the template's default");
        }
    }

    public ChatOptions(ChatTemplate template, ContextParams context, SamplerParams sampling, int maxTokens, boolean thinking,
                       int reasoningBudget, Overflow overflow, List<String> stopStrings, Grammar grammar) {
        this(template, context, sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar, null, null);
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
        return new ChatOptions(null, ContextParams.defaults(), SamplerParams.deepSeekR1(), 2048, true, -1, Overflow.FAIL, List.of(), null);
    }

    public ChatOptions withTemplate(ChatTemplate t) {
        return new ChatOptions(t, context, sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar, tools, reasoningEffort);
    }

    public ChatOptions withContext(ContextParams c) {
        return new ChatOptions(template, c, sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar, tools, reasoningEffort);
    }

    public ChatOptions withSampling(SamplerParams s) {
        return new ChatOptions(template, context, s, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar, tools, reasoningEffort);
    }

    public ChatOptions withMaxTokens(int n) {
        return new ChatOptions(template, context, sampling, n, thinking, reasoningBudget, overflow, stopStrings, grammar, tools, reasoningEffort);
    }

    public ChatOptions withThinking(boolean on) {
        return new ChatOptions(template, context, sampling, maxTokens, on, reasoningBudget, overflow, stopStrings, grammar, tools, reasoningEffort);
    }

    public ChatOptions withReasoningBudget(int tokens) {
        return new ChatOptions(template, context, sampling, maxTokens, thinking, tokens, overflow, stopStrings, grammar, tools, reasoningEffort);
    }

    public ChatOptions withStopStrings(List<String> stops) {
        return new ChatOptions(template, context, sampling, maxTokens, thinking, reasoningBudget, overflow, stops, grammar, tools, reasoningEffort);
    }

    /** Constrains each answer to a grammar, e.g. {@link Grammar#json()}; null for free text. */
    public ChatOptions withGrammar(Grammar g) {
        return new ChatOptions(template, context, sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, g, tools, reasoningEffort);
    }

    public ChatOptions withOverflow(Overflow o) {
        return new ChatOptions(template, context, sampling, maxTokens, thinking, reasoningBudget, o, stopStrings, grammar, tools, reasoningEffort);
    }

    /** Tools the model may call (null for none). */
    public ChatOptions withTools(ChatTools t) {
        return new ChatOptions(template, context, sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar, t, reasoningEffort);
    }

    /** The template's reasoning-effort level (null for its default). */
    public ChatOptions withReasoningEffort(String level) {
        return new ChatOptions(template, context, sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar, tools, level);
    }
}
