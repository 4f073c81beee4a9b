package dev.jseek;

/**
 * How to create a {@link Context}.
 *
 * @param contextSize  tokens the KV cache holds (all sequences together); 0 = the model's trained length
 * @param batchSize    most tokens submitted in one decode call (prompt chunks are this long)
 * @param microBatch   most tokens computed at once inside a decode call
 * @param sequences    independent sequences the context serves (parallel prompts)
 * @param threads      CPU threads for generation
 * @param batchThreads CPU threads for prompt processing
 */
public record ContextParams(int contextSize, int batchSize, int microBatch, int sequences, int threads, int batchThreads) {

    public ContextParams {
        require(contextSize >= 0, "context size must be 0 (the model's) or positive, not " + contextSize);
        require(batchSize >= 1, "batch size must be at least 1, not " + batchSize);
        require(microBatch >= 1, "micro-batch size must be at least 1, not " + microBatch);
        require(sequences >= 1, "sequence count must be at least 1, not " + sequences);
        require(threads >= 1, "thread count must be at least 1, not " + threads);
        require(batchThreads >= 1, "batch thread count must be at least 1, not " + batchThreads);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** 4096 tokens, batches of 512, one sequence, one thread per available core. */
    public static ContextParams defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new ContextParams(4096, 512, 512, 1, cores, cores);
    }

    public ContextParams withContextSize(int n) {
        return new ContextParams(n, batchSize, microBatch, sequences, threads, batchThreads);
    }

    public ContextParams withBatchSize(int n) {
        return new ContextParams(contextSize, n, Math.min(microBatch, n), sequences, threads, batchThreads);
    }

    public ContextParams withSequences(int n) {
        return new ContextParams(contextSize, batchSize, microBatch, n, threads, batchThreads);
    }

    public ContextParams withThreads(int n) {
        return new ContextParams(contextSize, batchSize, microBatch, sequences, n, n);
    }
}
