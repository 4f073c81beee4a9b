package dev.jseek;

import dev.jseek.bindings.llama.llama_h;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How to create a {@link Context}.
 *
 * @param contextSize    tokens the KV cache holds (all sequences together); 0 = the model's trained length
 * @param batchSize      most tokens submitted in one decode call (prompt chunks are this long)
 * @param microBatch     most tokens computed at once inside a decode call
 * @param sequences      independent sequences the context serves (parallel prompts)
 * @param threads        CPU threads for generation
 * @param batchThreads   CPU threads for prompt processing
 * @param flashAttention whether attention runs as one fused kernel; AUTO lets llama.cpp decide per device
 * @param cacheTypeK     the element type of the KV cache's keys (F16 by default; Q8_0 halves their memory)
 * @param cacheTypeV     the element type of the KV cache's values (a quantized type needs flash attention)
 */
public record ContextParams(int contextSize, int batchSize, int microBatch, int sequences, int threads, int batchThreads,
                            FlashAttention flashAttention, CacheType cacheTypeK, CacheType cacheTypeV) {

    public ContextParams {
        require(contextSize >= 0, "context size must be 0 (the model's) or positive, not " + contextSize);
        require(batchSize >= 1, "batch size must be at least 1, not " + batchSize);
        require(microBatch >= 1, "micro-batch size must be at least 1, not " + microBatch);
        require(sequences >= 1, "sequence count must be at least 1, not " + sequences);
        require(threads >= 1, "thread count must be at least 1, not " + threads);
        require(batchThreads >= 1, "batch thread count must be at least 1, not " + batchThreads);
        require(flashAttention != null && cacheTypeK != null && cacheTypeV != null, "flash attention and cache types must be given");
        require(!(cacheTypeV.quantized() && flashAttention == FlashAttention.OFF),
                "a quantized V cache (" + cacheTypeV.label() + ") needs flash attention; turn it on or leave it on auto");
    }

    /** Flash attention auto and an F16 KV cache, llama.cpp's defaults. */
    public ContextParams(int contextSize, int batchSize, int microBatch, int sequences, int threads, int batchThreads) {
        this(contextSize, batchSize, microBatch, sequences, threads, batchThreads, FlashAttention.AUTO, CacheType.F16, CacheType.F16);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InvalidRequestException(message);
        }
    }

    /** 4096 tokens, batches of 512, one sequence, one thread per available core, flash attention auto, F16 KV cache. */
    public static ContextParams defaults() {
        int cores = Runtime.getRuntime().availableProcessors();
        return new ContextParams(4096, 512, 512, 1, cores, cores);
    }

    public ContextParams withContextSize(int n) {
        return new ContextParams(n, batchSize, microBatch, sequences, threads, batchThreads, flashAttention, cacheTypeK, cacheTypeV);
    }

    public ContextParams withBatchSize(int n) {
        return new ContextParams(contextSize, n, Math.min(microBatch, n), sequences, threads, batchThreads, flashAttention,
                cacheTypeK, cacheTypeV);
    }

    /** The micro-batch size; llama.cpp computes at most the batch size at once, so a larger one acts as the batch size. */
    public ContextParams withMicroBatch(int n) {
        return new ContextParams(contextSize, batchSize, n, sequences, threads, batchThreads, flashAttention, cacheTypeK, cacheTypeV);
    }

    public ContextParams withSequences(int n) {
        return new ContextParams(contextSize, batchSize, microBatch, n, threads, batchThreads, flashAttention, cacheTypeK, cacheTypeV);
    }

    public ContextParams withThreads(int n) {
        return new ContextParams(contextSize, batchSize, microBatch, sequences, n, n, flashAttention, cacheTypeK, cacheTypeV);
    }

    public ContextParams withFlashAttention(FlashAttention f) {
        return new ContextParams(contextSize, batchSize, microBatch, sequences, threads, batchThreads, f, cacheTypeK, cacheTypeV);
    }

    public ContextParams withCacheTypes(CacheType k, CacheType v) {
        return new ContextParams(contextSize, batchSize, microBatch, sequences, threads, batchThreads, flashAttention, k, v);
    }

    /** llama.cpp's flash-attention setting. */
    public enum FlashAttention {
        /** llama.cpp turns it on where the device and model support it (and for a quantized V cache). */
        AUTO,
        ON,
        OFF;

        /** "auto", "on" or "off", and llama.cpp's other spellings: enabled/true/1, disabled/false/0, -1 for auto. */
        public static FlashAttention parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "auto", "-1" -> AUTO;
                case "on", "enabled", "true", "1" -> ON;
                case "off", "disabled", "false", "0" -> OFF;
                default -> throw new IllegalArgumentException("flash attention must be on, off or auto, not '" + s + "'");
            };
        }

        /** llama.cpp's number for it (llama_flash_attn_type: -1 auto, 0 off, 1 on), as llama-bench reports it. */
        public int llamaValue() {
            return switch (this) {
                case AUTO -> llama_h.LLAMA_FLASH_ATTN_TYPE_AUTO();
                case ON -> llama_h.LLAMA_FLASH_ATTN_TYPE_ENABLED();
                case OFF -> llama_h.LLAMA_FLASH_ATTN_TYPE_DISABLED();
            };
        }
    }

    /** The KV-cache element types llama.cpp accepts (its --cache-type-k/-v list). */
    public enum CacheType {
        F32, F16, BF16, Q8_0, Q4_0, Q4_1, IQ4_NL, Q5_0, Q5_1;

        /** The type as llama.cpp's flags write it: "f16", "q8_0" … */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        public boolean quantized() {
            return this != F32 && this != F16 && this != BF16;
        }

        public static CacheType parse(String s) {
            for (CacheType t : values()) {
                if (t.label().equalsIgnoreCase(s)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("KV cache type must be one of " + Arrays.stream(values()).map(CacheType::label)
                    .collect(Collectors.joining(", ")) + ", not '" + s + "'");
        }

        int ggmlType() {
            return switch (this) {
                case F32 -> llama_h.GGML_TYPE_F32();
                case F16 -> llama_h.GGML_TYPE_F16();
                case BF16 -> llama_h.GGML_TYPE_BF16();
                case Q8_0 -> llama_h.GGML_TYPE_Q8_0();
                case Q4_0 -> llama_h.GGML_TYPE_Q4_0();
                case Q4_1 -> llama_h.GGML_TYPE_Q4_1();
                case IQ4_NL -> llama_h.GGML_TYPE_IQ4_NL();
                case Q5_0 -> llama_h.GGML_TYPE_Q5_0();
                case Q5_1 -> llama_h.GGML_TYPE_Q5_1();
            };
        }
    }
}
