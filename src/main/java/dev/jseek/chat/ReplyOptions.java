package dev.jseek.chat;

import dev.jseek.Grammar;
import dev.jseek.SamplerParams;

import java.util.List;
import java.util.Objects;

/**
 * How one reply is made: what a {@link ChatEngine} request brings, and what a {@link ChatSession} may change between
 * turns. The context and the template are not here: they belong to the session or engine ({@link ChatOptions}).
 *
 * @param sampling        sampler settings
 * @param maxTokens       most tokens per reply, reasoning included
 * @param thinking        let reasoning models think: the template's switch (V3.1+), or R1's open block; false
 *                        closes it
 * @param reasoningBudget most reasoning tokens before {@code </think>} is forced; -1 = no limit
 * @param overflow        what to do when the conversation no longer fits
 * @param stopStrings     the answer ends before the first of these (they are not part of it)
 * @param grammar         constrains the answer (not the reasoning); null for free text
 * @param tools           tools the model may call, and the tool choice; null for none (Jinja templates only)
 * @param reasoningEffort the template's reasoning-effort level (V4: high, max; "none" = thinking off); null =
 *                        the template's default
 */
public record ReplyOptions(SamplerParams sampling, int maxTokens, boolean thinking, int reasoningBudget,
                           ChatOptions.Overflow overflow, List<String> stopStrings, Grammar grammar, ChatTools tools,
                           String reasoningEffort) {

    public ReplyOptions {
        Objects.requireNonNull(sampling, "sampling");
        Objects.requireNonNull(overflow, "overflow");
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
        if (grammar != null && tools != null && tools.choice() == ChatTools.Choice.REQUIRED) {
            throw new IllegalArgumentException("a grammar (or JSON schema) and tool choice 'required' both constrain the answer; choose one");
        }
        if (reasoningEffort != null && reasoningEffort.isBlank()) {
            throw new IllegalArgumentException("reasoning effort must not be blank; leave it out for the template's default");
        }
    }

    /** DeepSeek-R1 sampling, 2048 tokens per reply, thinking on, no budget, failing when the prompt does not fit. */
    public static ReplyOptions defaults() { return new ReplyOptions(SamplerParams.deepSeekR1(), 2048, true, -1, ChatOptions.Overflow.FAIL, List.of(), null, null, null); }

    public ReplyOptions withSampling(SamplerParams s) { return new ReplyOptions(s, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar, tools, reasoningEffort); }

    public ReplyOptions withMaxTokens(int n) { return new ReplyOptions(sampling, n, thinking, reasoningBudget, overflow, stopStrings, grammar, tools, reasoningEffort); }

    public ReplyOptions withThinking(boolean on) { return new ReplyOptions(sampling, maxTokens, on, reasoningBudget, overflow, stopStrings, grammar, tools, reasoningEffort); }

    public ReplyOptions withReasoningBudget(int tokens) { return new ReplyOptions(sampling, maxTokens, thinking, tokens, overflow, stopStrings, grammar, tools, reasoningEffort); }

    public ReplyOptions withOverflow(ChatOptions.Overflow o) { return new ReplyOptions(sampling, maxTokens, thinking, reasoningBudget, o, stopStrings, grammar, tools, reasoningEffort); }

    public ReplyOptions withStopStrings(List<String> stops) { return new ReplyOptions(sampling, maxTokens, thinking, reasoningBudget, overflow, stops, grammar, tools, reasoningEffort); }

    /** Constrains the answer to a grammar, e.g. {@link Grammar#json()}; null for free text. */
    public ReplyOptions withGrammar(Grammar g) { return new ReplyOptions(sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, g, tools, reasoningEffort); }

    /** Tools the model may call (null for none). */
    public ReplyOptions withTools(ChatTools t) { return new ReplyOptions(sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar, t, reasoningEffort); }

    /** The template's reasoning-effort level (null for its default). */
    public ReplyOptions withReasoningEffort(String level) { return new ReplyOptions(sampling, maxTokens, thinking, reasoningBudget, overflow, stopStrings, grammar, tools, level); }
}
