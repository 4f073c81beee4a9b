package dev.jseek.models;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufArray;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufFormatException;
import dev.jseek.gguf.GgufMetadata;
import dev.jseek.gguf.GgufTensorInfo;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What a GGUF file is, read from its header alone (no weights are loaded, no native code runs): architecture,
 * size, MoE layout, quantization, template family, and the memory it needs. Answers the question users of other
 * tools keep asking: is this R1 itself, or an R1-Distill?
 *
 * @param kind            a plain-words description, e.g. "DeepSeek-V3/R1 architecture (MoE, MLA)" or
 *                        "R1-Distill: a dense qwen2 model fine-tuned on R1's reasoning"
 * @param parameters      all weights (what llama.cpp reports as the model's parameter count)
 * @param activeParameters weights used per token: the total minus the routed experts a token does not use
 * @param experts         routed experts per MoE layer (0 for a dense model)
 * @param expertsUsed     routed experts each token uses
 * @param sharedExperts   experts every token uses
 * @param denseLayers     leading layers without experts (MoE models)
 * @param quantization    llama.cpp's name of the file type (e.g. Q4_K_M), or the dominant tensor type
 * @param tensorTypes     bytes per tensor type
 * @param templateFamily  the chat template llama.cpp will recognise (deepseek3, deepseek2, deepseek, llama3,
 *                        chatml, …), "other" for a template it may not, "none" without one
 * @param kvBytesPerToken F16 KV-cache bytes per token of context; 0 where {@code kvEstimated} is false
 * @param attention       the attention kind in plain words, e.g. "MLA (multi-head latent attention) …" or "GQA: …"
 * @param kvEstimated     whether {@code kvBytesPerToken} is computed as llama.cpp allocates the cache; false for
 *                        deepseek4, whose compressed and sliding-window caches are not modelled
 */
public record ModelFacts(String name, String architecture, String kind, long fileSize, int layers, int embeddingLength,
                         int heads, int contextLength, int vocabularySize, long parameters, long activeParameters,
                         int experts, int expertsUsed, int sharedExperts, int denseLayers, String quantization,
                         Map<GgmlType, Long> tensorTypes, long weightBytes, String templateFamily,
                         boolean templatePrefillsThinking, long kvBytesPerToken, String attention,
                         boolean kvEstimated) {

    private static final List<String> FILE_TYPES = List.of("ALL_F32", "F16", "Q4_0", "Q4_1", "Q4_1_SOME_F16", "Q4_2", "Q4_3",
            "Q8_0", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K",
            "IQ2_XXS", "IQ2_XS", "Q2_K_S", "IQ3_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ3_M", "IQ2_S", "IQ2_M",
            "IQ4_XS", "IQ1_M", "BF16", "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "TQ1_0", "TQ2_0", "MXFP4_MOE", "NVFP4", "Q1_0", "Q2_0");

    /**
     * Bytes for llama.cpp's compute buffers beside weights and KV cache: an allowance, not a computation. It holds
     * with flash attention, llama.cpp's default ("auto", which jseek keeps), and a micro-batch of 512: llama.cpp
     * (v0.5.0, CPU) reserved 240 MiB for V2-Lite at 4K and 32K context, 412 to 440 MiB for R1 (671B) at 4K to 32K,
     * 267 to 303 MiB for R1-Distill-Llama-8B and -Qwen-1.5B at 4K. Without flash attention the buffer grows with
     * heads × context × micro-batch × 4 bytes (R1: 1.4 GiB at 4K, 8.4 GiB at 32K), which this does not cover.
     */
    public static final long COMPUTE_ALLOWANCE_BYTES = 512L << 20;

    public static ModelFacts of(GgufFile file) throws GgufFormatException {
        GgufMetadata m = file.metadata();
        String arch = m.findString("general.architecture").orElse("unknown");
        String p = arch + ".";
        int layers = m.getInt(p + "block_count", 0);
        int embedding = m.getInt(p + "embedding_length", 0);
        int heads = headCount(m, p);
        int experts = m.getInt(p + "expert_count", 0);
        int used = intOrFirst(m, p + "expert_used_count", 0);
        int shared = m.getInt(p + "expert_shared_count", 0);
        int dense = experts > 0 ? m.getInt(p + "leading_dense_block_count", 0) : 0;

        long parameters = 0;
        long unusedExpertWeights = 0;
        Map<GgmlType, Long> types = new EnumMap<>(GgmlType.class);
        for (GgufTensorInfo t : file.tensors()) {
            parameters += t.elementCount();
            types.merge(t.type(), t.byteSize(), Long::sum);
            if (experts > 0 && t.name().contains("_exps.")) {
                unusedExpertWeights += t.elementCount() / experts * (experts - Math.min(used, experts));
            }
        }
        String template = m.findString("tokenizer.chat_template").orElse(null);
        String name = m.findString("general.name").orElse(file.path().getFileName().toString());
        // MTP ("nextn") layers counted in block_count get no KV cache in the main context
        int cachedLayers = Math.max(0, layers - m.getInt(p + "nextn_predict_layers", 0));
        boolean kvEstimated = !arch.equals("deepseek4");
        return new ModelFacts(name, arch, kind(arch, name, layers, embedding, experts, template), file.fileSize(), layers,
                embedding, heads, m.getInt(p + "context_length", 0), vocabularySize(m), parameters,
                parameters - unusedExpertWeights, experts, used, shared, dense, quantization(m, types), Map.copyOf(types),
                file.tensorBytes(), TemplateText.family(template), template != null && TemplateText.prefillsThinking(template),
                kvEstimated ? kvBytesPerToken(m, p, cachedLayers, heads, embedding) : 0, attention(m, p, arch, heads), kvEstimated);
    }

    /**
     * These facts with the KV cache llama.cpp measured at a context length (a {@code no_alloc} load; see the
     * runtime's MemoryEstimate) in place of jseek's formula: exact for every architecture, V4's included.
     * For V4 the cache is not linear in the context (compressed blocks, a window), so the per-token figure holds
     * at that length.
     */
    public ModelFacts withMeasuredKv(long kvBytes, int contextLength) {
        if (contextLength < 1 || kvBytes < 0) {
            throw new IllegalArgumentException("a measured KV cache needs a context of at least 1 token and a size of at least 0");
        }
        long perToken = (kvBytes + contextLength - 1) / contextLength;
        return new ModelFacts(name, architecture, kind, fileSize, layers, embeddingLength, heads, this.contextLength, vocabularySize,
                parameters, activeParameters, experts, expertsUsed, sharedExperts, denseLayers, quantization, tensorTypes,
                weightBytes, templateFamily, templatePrefillsThinking, perToken, attention, true);
    }

    /**
     * Memory to run at a context length: weights + F16 KV cache + {@link #COMPUTE_ALLOWANCE_BYTES}. Where the KV cache is
     * not estimated ({@link #kvEstimated()} false) this is weights and compute only: a lower bound.
     */
    public long memoryBytes(int contextLength) {
        return weightBytes + kvBytesPerToken * contextLength + COMPUTE_ALLOWANCE_BYTES;
    }

    public boolean isMoe() {
        return experts > 0;
    }

    private static int headCount(GgufMetadata m, String p) throws GgufFormatException {
        return intOrFirst(m, p + "attention.head_count", 0);
    }

    /** A key llama.cpp reads with get_key_or_arr: one value, or one per layer (then the first layer's). */
    private static int intOrFirst(GgufMetadata m, String key, int defaultValue) throws GgufFormatException {
        if (m.find(key).orElse(null) instanceof GgufArray) {
            int[] perLayer = m.getIntArray(key);
            return perLayer.length == 0 ? defaultValue : perLayer[0];
        }
        return m.getInt(key, defaultValue);
    }

    private static int vocabularySize(GgufMetadata m) throws GgufFormatException {
        return m.contains("tokenizer.ggml.tokens") ? m.getArray("tokenizer.ggml.tokens").size() : 0;
    }

    /**
     * KV-cache bytes per token at F16, as llama.cpp v0.5.0 allocates it (llama_kv_cache: one row per cached layer).
     * DeepSeek's MLA (deepseek2 with key_length_mla) caches the compressed latent: one K row of kv_lora_rank + rope
     * dims per layer and no V, which is read from it. Standard attention caches K and V for every KV head; a
     * per-layer head_count_kv array is summed layer by layer. DeepSeek-V3.2 (deepseek32) keeps two caches
     * (llama_kv_cache_dsa, built in llama_model::create_memory): the MLA latent as for deepseek2, and the lightning
     * indexer's keys, one head of indexer.key_length per trunk layer, also K only (the hparams stay MLA) and of the same
     * type. Sliding-window caches (Gemma) are not modelled; deepseek4 is not estimated at all.
     */
    private static long kvBytesPerToken(GgufMetadata m, String p, int layers, int heads, int embedding) throws GgufFormatException {
        int headDim = heads == 0 ? 0 : embedding / heads;
        int keyLength = m.getInt(p + "attention.key_length", headDim);
        int valueLength = m.getInt(p + "attention.value_length", headDim);
        if (m.contains(p + "attention.key_length_mla")) {
            // K only: kv_lora_rank + rope dims, MQA-style (head_count_kv 1); deepseek32 adds the indexer's key cache
            int indexerKeys = p.equals("deepseek32.") ? m.getInt(p + "attention.indexer.key_length", 0) : 0;
            return 2L * layers * (keyLength + indexerKeys);
        }
        String key = p + "attention.head_count_kv";
        long headsKvOverLayers = 0;
        if (m.find(key).orElse(null) instanceof GgufArray) {
            int[] perLayer = m.getIntArray(key);
            for (int i = 0; i < Math.min(layers, perLayer.length); i++) {
                headsKvOverLayers += perLayer[i];
            }
        } else {
            headsKvOverLayers = (long) layers * m.getInt(key, heads);
        }
        return 2L * headsKvOverLayers * (keyLength + valueLength);
    }

    /**
     * The attention kind in plain words, from the keys llama.cpp v0.5.0 reads for the architecture: MLA for deepseek2
     * (key_length_mla present), MLA plus the DSA lightning indexer for deepseek32 (src/models/deepseek32.cpp), V4's
     * shared K=V head with a sliding window, compressed KV and an indexer for deepseek4 (src/models/deepseek4.cpp), and
     * MHA / GQA / MQA by head_count_kv otherwise.
     */
    private static String attention(GgufMetadata m, String p, String arch, int heads) throws GgufFormatException {
        boolean mla = m.contains(p + "attention.key_length_mla");
        String indexer = indexer(m, p);
        switch (arch) {
            case "deepseek32" -> {
                return "MLA (multi-head latent attention) with DSA sparse attention: a lightning indexer" + indexer
                        + " picks the tokens each query attends";
            }
            case "deepseek4" -> {
                int kvHeads = intOrFirst(m, p + "attention.head_count_kv", 1);
                int keyLength = m.getInt(p + "attention.key_length", 0);
                return "DeepSeek-V4 attention: " + heads + " query heads share " + (kvHeads == 1 ? "one K=V head" : kvHeads + " K=V heads")
                        + " of " + keyLength + ", a sliding window of " + m.getInt(p + "attention.sliding_window", 0)
                        + " tokens, older tokens compressed (ratios " + compressRatios(m, p) + "; 0 = none), and a lightning indexer"
                        + indexer;
            }
            default -> {
            }
        }
        if (mla) {
            return "MLA (multi-head latent attention): one compressed latent of "
                    + m.getInt(p + "attention.kv_lora_rank", 0) + " + rope dims cached per layer";
        }
        if (heads == 0) {
            return "unknown (no head count)";
        }
        int kvHeads = intOrFirst(m, p + "attention.head_count_kv", heads);
        if (kvHeads == heads) {
            return "MHA: " + heads + " heads, each with its own K and V";
        }
        return (kvHeads == 1 ? "MQA" : "GQA") + ": " + heads + " query heads share " + kvHeads + " KV head" + (kvHeads == 1 ? "" : "s");
    }

    private static String indexer(GgufMetadata m, String p) throws GgufFormatException {
        if (!m.contains(p + "attention.indexer.head_count")) {
            return "";
        }
        return " (" + m.getInt(p + "attention.indexer.head_count", 0) + " heads of " + m.getInt(p + "attention.indexer.key_length", 0)
                + ", top-k " + m.getInt(p + "attention.indexer.top_k", 0) + ")";
    }

    /** The distinct compression ratios of deepseek4's per-layer compress_ratios, in order of first use. */
    private static String compressRatios(GgufMetadata m, String p) throws GgufFormatException {
        if (!m.contains(p + "attention.compress_ratios")) {
            return "none given";
        }
        return java.util.Arrays.stream(m.getIntArray(p + "attention.compress_ratios")).distinct().mapToObj(Integer::toString)
                .collect(java.util.stream.Collectors.joining(", "));
    }

    private static String quantization(GgufMetadata m, Map<GgmlType, Long> types) throws GgufFormatException {
        int fileType = m.getInt("general.file_type", -1);
        if (fileType >= 0 && fileType < FILE_TYPES.size()) {
            return FILE_TYPES.get(fileType);
        }
        return types.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().ggmlName().toUpperCase(Locale.ROOT))
                .orElse("none");
    }

    /**
     * Says plainly what the file is: R1 (671B MoE) and an R1-Distill (a small dense model) are not the same thing.
     * The deepseek2 architecture alone does not make a file DeepSeek's: Kimi-K2, GLM-4.7-Flash, Mistral Large 3,
     * GigaChat3 and Kanana-2 ship in it too. So a DeepSeek release is told by its shape, with the figures llama.cpp
     * v0.5.0's own model-type tables use (load_arch_hparams in src/models/*.cpp): deepseek32 61 layers = 685B-A37B;
     * deepseek4 43 layers, the table's only deepseek4 entry (its converter's example is DeepSeek-V4-Flash-Base), and no
     * other V4 shape is listed there, so V4 (the larger release) is not named by shape; qwen2 28 layers with embedding
     * 1536 = 1.5B (else 7B), 48 = 14B, 64 = 32B; llama 32 = 8B, 80 = 70B; qwen3 36 layers with embedding other than
     * 2560 = 8B. R1 and R1-0528 share one shape: only the file's name can tell them apart.
     */
    static String kind(String arch, String name, int layers, int embedding, int experts, String template) {
        String lower = name.toLowerCase(Locale.ROOT);
        String family = TemplateText.family(template);
        boolean coder = lower.contains("coder");
        boolean thinks = template != null && TemplateText.prefillsThinking(template);
        switch (arch) {
            case "deepseek2" -> {
                if (layers == 61 && experts == 256) {
                    boolean r1 = lower.contains("r1") || thinks;
                    return "DeepSeek-V3/R1 architecture (MoE, MLA): the full 671B model" + (r1 ? ", " + r1Release(lower) : "");
                }
                if (layers == 60 && experts == 160) {
                    return "DeepSeek-" + (coder ? "Coder-V2" : "V2/V2.5") + " architecture (MoE, MLA): the full 236B model";
                }
                if ((layers == 27 || layers == 26) && experts == 64) {
                    return "DeepSeek-" + (coder ? "Coder-V2-Lite" : "V2-Lite") + " architecture (MoE, MLA): the 16B model";
                }
                return "deepseek2 architecture (MoE, MLA) in no DeepSeek release's shape: " + layers + " layers, " + experts
                        + " routed experts" + (layers < 10 ? " (a small test model)" : "");
            }
            case "deepseek32" -> {
                if (layers == 61 && experts == 256) {
                    return "DeepSeek-V3.2 (MoE, MLA with DeepSeek sparse attention): the full 685B model, 37B active";
                }
                return "DeepSeek-V3.2 architecture (MoE, MLA with DeepSeek sparse attention) in no DeepSeek release's shape: "
                        + layers + " layers, " + experts + " routed experts" + (layers < 10 ? " (a small test model)" : "");
            }
            case "deepseek4" -> {
                if (layers == 43) {
                    return "DeepSeek-V4-Flash (MoE, DeepSeek-V4 attention): 43 layers, the one deepseek4 shape llama.cpp lists";
                }
                return "DeepSeek-V4 architecture (MoE, DeepSeek-V4 attention) in a shape llama.cpp does not list: " + layers
                        + " layers, " + experts + " routed experts" + (layers < 10 ? " (a small test model)"
                        : "; llama.cpp gives no layer count for V4 beside V4-Flash's 43, so jseek cannot say which V4 this is");
            }
            case "deepseek" -> {
                return "DeepSeek-MoE v1 architecture (deepseek-moe-16b: MoE, standard attention)";
            }
            default -> {
            }
        }
        boolean dense = experts == 0 && (arch.equals("qwen2") || arch.equals("qwen3") || arch.equals("llama"));
        if (dense && ((lower.contains("r1") && lower.contains("distill")) || family.equals("deepseek3")
                || (arch.equals("qwen3") && lower.contains("r1")))) {
            return "R1-Distill: a dense " + arch + " model fine-tuned on DeepSeek-R1's reasoning, not R1 itself; "
                    + distillRelease(arch, layers, embedding);
        }
        if (arch.equals("llama") && (family.equals("deepseek") || lower.contains("deepseek"))) {
            return "DeepSeek LLM / Coder v1: a dense llama-architecture model";
        }
        return (experts > 0 ? "MoE " : "dense ") + arch + " model";
    }

    /** R1 and R1-0528 have one shape and one architecture; the name is all a file has to tell them apart. */
    private static String r1Release(String lowerName) {
        if (lowerName.contains("0528")) {
            return "R1-0528 (the reasoning model, May 2025 update; told by the name)";
        }
        return "R1 (the reasoning model; R1 and R1-0528 have the same shape and the name does not say 0528)";
    }

    /** Which R1-Distill a dense file is, by the layer counts and embedding sizes of llama.cpp's model-type tables. */
    private static String distillRelease(String arch, int layers, int embedding) {
        String release = switch (arch) {
            case "qwen2" -> switch (layers) {
                case 28 -> embedding == 1536 ? "DeepSeek-R1-Distill-Qwen-1.5B" : "DeepSeek-R1-Distill-Qwen-7B";
                case 48 -> "DeepSeek-R1-Distill-Qwen-14B";
                case 64 -> "DeepSeek-R1-Distill-Qwen-32B";
                default -> null;
            };
            case "llama" -> switch (layers) {
                case 32 -> "DeepSeek-R1-Distill-Llama-8B";
                case 80 -> "DeepSeek-R1-Distill-Llama-70B";
                default -> null;
            };
            case "qwen3" -> layers == 36 && embedding != 2560 ? "DeepSeek-R1-0528-Qwen3-8B" : null;
            default -> null;
        };
        String shape = layers + " layers, embedding " + embedding;
        return release == null ? "in no R1-Distill release's shape (" + shape + ")" : shape + ": the shape of " + release;
    }

    /** "15.7B", "2.4M": parameter counts as people write them. */
    public static String humanCount(long n) {
        if (n >= 1_000_000_000L) {
            return String.format(Locale.ROOT, "%.1fB", n / 1e9);
        }
        if (n >= 1_000_000L) {
            return String.format(Locale.ROOT, "%.1fM", n / 1e6);
        }
        return String.format(Locale.ROOT, "%.1fK", n / 1e3);
    }

    /** "9.65 GiB": byte sizes as llama.cpp prints them. */
    public static String humanBytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.2f MiB", n / (double) (1L << 20));
    }

    public Optional<String> note() {
        return templateFamily.equals("other") ? Optional.of("llama.cpp may not recognise this chat template; pass --template NAME")
                : templateFamily.equals("none") ? Optional.of("no chat template: pass --template NAME to chat") : Optional.empty();
    }
}
