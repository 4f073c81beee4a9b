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

    /** The sum, as LangChain4j adds the usage of a conversation's calls (a subclass must: the base class hands it over). */
    @Override
    public JseekTokenUsage add(TokenUsage that) {
        if (that == null) {
            return this;
        }
        int cached = that instanceof JseekTokenUsage j ? j.cachedInputTokenCount : 0;
        return new JseekTokenUsage(count(sum(inputTokenCount(), that.inputTokenCount())),
                count(sum(outputTokenCount(), that.outputTokenCount())), cachedInputTokenCount + cached);
    }

    private static int count(Integer n) {
        return n == null ? 0 : n;
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
