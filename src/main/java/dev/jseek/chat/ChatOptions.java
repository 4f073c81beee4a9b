package dev.jseek.chat;

import dev.jseek.ContextParams;
import dev.jseek.Grammar;
import dev.jseek.SamplerParams;

import java.util.List;
import java.util.Objects;

/**
 * How a {@link ChatSession} runs: its setup (template and context, fixed for its life) and its replies' settings
 * ({@link ReplyOptions}, which {@link ChatSession#reconfigure} may change between turns). A {@link ChatEngine} has its
 * own setup and takes only the reply part per request. The {@code with…} and accessor methods of the reply's settings
 * are here too, so that a session's options read as one.
 *
 * @param template the chat template; null = the model's own
 * @param context  context (KV cache) settings; one sequence is used
 * @param reply    how each reply is made
 */
public record ChatOptions(ChatTemplate template, ContextParams context, ReplyOptions reply) {

    public ChatOptions {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(reply, "reply");
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

    /** The model's template, 4096 tokens, and {@link ReplyOptions#defaults()}. */
    public static ChatOptions defaults() {
        return new ChatOptions(null, ContextParams.defaults(), ReplyOptions.defaults());
    }

    public ChatOptions withTemplate(ChatTemplate t) {
        return new ChatOptions(t, context, reply);
    }

    public ChatOptions withContext(ContextParams c) {
        return new ChatOptions(template, c, reply);
    }

    public ChatOptions withReply(ReplyOptions r) {
        return new ChatOptions(template, context, r);
    }

    // ---- the reply's settings, for reading and changing the options as one ----

    public SamplerParams sampling() { return reply.sampling(); }

    public int maxTokens() { return reply.maxTokens(); }

    public boolean thinking() { return reply.thinking(); }

    public int reasoningBudget() { return reply.reasoningBudget(); }

    public Overflow overflow() { return reply.overflow(); }

    public List<String> stopStrings() { return reply.stopStrings(); }

    public Grammar grammar() { return reply.grammar(); }

    public ChatTools tools() { return reply.tools(); }

    public String reasoningEffort() { return reply.reasoningEffort(); }

    public ChatOptions withSampling(SamplerParams s) { return withReply(reply.withSampling(s)); }

    public ChatOptions withMaxTokens(int n) { return withReply(reply.withMaxTokens(n)); }

    public ChatOptions withThinking(boolean on) { return withReply(reply.withThinking(on)); }

    public ChatOptions withReasoningBudget(int tokens) { return withReply(reply.withReasoningBudget(tokens)); }

    public ChatOptions withStopStrings(List<String> stops) { return withReply(reply.withStopStrings(stops)); }

    /** Constrains each answer to a grammar, e.g. {@link Grammar#json()}; null for free text. */
    public ChatOptions withGrammar(Grammar g) { return withReply(reply.withGrammar(g)); }

    public ChatOptions withOverflow(Overflow o) { return withReply(reply.withOverflow(o)); }

    /** Tools the model may call (null for none). */
    public ChatOptions withTools(ChatTools t) { return withReply(reply.withTools(t)); }

    /** The template's reasoning-effort level (null for its default). */
    public ChatOptions withReasoningEffort(String level) { return withReply(reply.withReasoningEffort(level)); }
}
