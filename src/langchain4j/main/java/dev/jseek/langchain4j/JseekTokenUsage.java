package dev.jseek.langchain4j;

import dev.langchain4j.model.output.TokenUsage;

/**
 * LangChain4j's token usage, and how many of the input tokens came from the KV cache (a conversation's earlier turns,
 * decoded by an earlier request and not again), as OpenAI's {@code cached_tokens} says.
 */
public final class JseekTokenUsage extends TokenUsage {
    private final int cachedInputTokenCount;

    public JseekTokenUsage(int inputTokenCount, int outputTokenCount, int cachedInputTokenCount) {
        super(inputTokenCount, outputTokenCount, inputTokenCount + outputTokenCount);
        this.cachedInputTokenCount = cachedInputTokenCount;
    }

    /** Input tokens that were already in the KV cache. */
    public int cachedInputTokenCount() {
        return cachedInputTokenCount;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JseekTokenUsage u && super.equals(u) && cachedInputTokenCount == u.cachedInputTokenCount;
    }

    @Override
    public int hashCode() {
        return super.hashCode() * 31 + cachedInputTokenCount;
    }

    @Override
    public String toString() {
        return super.toString() + " (cached input: " + cachedInputTokenCount + ")";
    }
}
