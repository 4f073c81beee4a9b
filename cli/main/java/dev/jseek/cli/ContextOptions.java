package dev.jseek.cli;

import dev.jseek.ContextParams;
import picocli.CommandLine.Option;

/** Flags for the context (KV cache and compute batches) of the commands that chat: run, chat, batch. */
final class ContextOptions {
    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "4096",
            description = "context size in tokens; 0 = the model's trained length (default: ${DEFAULT-VALUE})")
    int contextSize;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "512",
            description = "logical batch: most prompt tokens submitted to llama.cpp at once (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = {"-ub", "--ubatch-size"}, paramLabel = "N", defaultValue = "512",
            description = "physical batch: most tokens computed at once, at most -b (default: ${DEFAULT-VALUE})")
    int microBatch;

    @Option(names = {"-fa", "--flash-attn"}, paramLabel = "on|off|auto", defaultValue = "auto",
            description = "flash attention; auto = where the device and model support it (default: ${DEFAULT-VALUE})")
    String flashAttention;

    @Option(names = {"-ctk", "--cache-type-k"}, paramLabel = "TYPE", defaultValue = "f16",
            description = "KV cache type for K: f32, f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1 (default: ${DEFAULT-VALUE})")
    String cacheTypeK;

    @Option(names = {"-ctv", "--cache-type-v"}, paramLabel = "TYPE", defaultValue = "f16",
            description = "KV cache type for V, same types; a quantized one needs flash attention (default: ${DEFAULT-VALUE})")
    String cacheTypeV;

    /** The context settings; every value is checked here, before any model loads. */
    ContextParams contextParams(Integer threads) {
        if (contextSize < 0) {
            throw new IllegalArgumentException("--ctx-size must be 0 (the model's) or positive, not " + contextSize);
        }
        if (batchSize < 1 || microBatch < 1) {
            throw new IllegalArgumentException("--batch-size and --ubatch-size must be at least 1, not " + batchSize + " and " + microBatch);
        }
        ContextParams p = ContextParams.defaults().withContextSize(contextSize).withBatchSize(batchSize).withMicroBatch(microBatch)
                .withFlashAttention(ContextParams.FlashAttention.parse(flashAttention))
                .withCacheTypes(ContextParams.CacheType.parse(cacheTypeK), ContextParams.CacheType.parse(cacheTypeV));
        return threads == null ? p : p.withThreads(threads);
    }
}
