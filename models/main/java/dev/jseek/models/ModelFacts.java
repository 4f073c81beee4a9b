package dev.jseek.models;

import dev.jseek.gguf.GgmlType;
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
 */
public record ModelFacts(String name, String architecture, String kind, long fileSize, int layers, int embeddingLength,
                         int heads, int contextLength, int vocabularySize, long parameters, long activeParameters,
                         int experts, int expertsUsed, int sharedExperts, int denseLayers, String quantization,
                         Map<GgmlType, Long> tensorTypes, long weightBytes, String templateFamily,
                         boolean templatePrefillsThinking, long kvBytesPerToken) {

    private static final List<String> FILE_TYPES = List.of("ALL_F32", "F16", "Q4_0", "Q4_1", "Q4_1_SOME_F16", "Q4_2", "Q4_3",
            "Q8_0", "Q5_0", "Q5_1", "Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K",
            "IQ2_XXS", "IQ2_XS", "Q2_K_S", "IQ3_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ3_M", "IQ2_S", "IQ2_M",
            "IQ4_XS", "IQ1_M", "BF16", "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "TQ1_0", "TQ2_0", "MXFP4_MOE", "NVFP4", "Q1_0", "Q2_0");

    /** Bytes for compute buffers beside weights and KV cache, per llama.cpp's usual batch of 512: a stated guess. */
    public static final long COMPUTE_ALLOWANCE_BYTES = 512L << 20;

    public static ModelFacts of(GgufFile file) throws GgufFormatException {
        GgufMetadata m = file.metadata();
        String arch = m.findString("general.architecture").orElse("unknown");
        String p = arch + ".";
        int layers = m.getInt(p + "block_count", 0);
        int embedding = m.getInt(p + "embedding_length", 0);
        int heads = headCount(m, p);
        int experts = m.getInt(p + "expert_count", 0);
        int used = m.getInt(p + "expert_used_count", 0);
        int shared = m.getInt(p + "expert_shared_count", 0);
        int dense = experts > 0 ? m.getInt(p + "leading_dense_block_count", 0) : 0;

        long parameters = 0;
        long unusedExpertWeights = 0;
        long weightBytes = 0;
        Map<GgmlType, Long> types = new EnumMap<>(GgmlType.class);
        for (GgufTensorInfo t : file.tensors()) {
            parameters += t.elementCount();
            weightBytes += t.byteSize();
            types.merge(t.type(), t.byteSize(), Long::sum);
            if (experts > 0 && t.name().contains("_exps.")) {
                unusedExpertWeights += t.elementCount() / experts * (experts - Math.min(used, experts));
            }
        }
        String template = m.findString("tokenizer.chat_template").orElse(null);
        String name = m.findString("general.name").orElse(file.path().getFileName().toString());
        return new ModelFacts(name, arch, kind(arch, name, layers, experts, template), file.fileSize(), layers, embedding,
                heads, m.getInt(p + "context_length", 0), vocabularySize(m), parameters, parameters - unusedExpertWeights,
                experts, used, shared, dense, quantization(m, types), Map.copyOf(types), weightBytes,
                templateFamily(template), template != null && prefillsThinking(template), kvBytesPerToken(m, p, layers, heads, embedding));
    }

    /** Memory to run at a context length: weights + F16 KV cache + {@link #COMPUTE_ALLOWANCE_BYTES}. */
    public long memoryBytes(int contextLength) {
        return weightBytes + kvBytesPerToken * contextLength + COMPUTE_ALLOWANCE_BYTES;
    }

    public boolean isMoe() {
        return experts > 0;
    }

    private static int headCount(GgufMetadata m, String p) throws GgufFormatException {
        // head_count may be an array (one per layer) in some architectures
        var value = m.find(p + "attention.head_count");
        if (value.isEmpty()) {
            return 0;
        }
        try {
            return m.getInt(p + "attention.head_count");
        } catch (GgufFormatException e) {
            int[] perLayer = m.getIntArray(p + "attention.head_count");
            return perLayer.length == 0 ? 0 : perLayer[0];
        }
    }

    private static int vocabularySize(GgufMetadata m) throws GgufFormatException {
        return m.contains("tokenizer.ggml.tokens") ? m.getArray("tokenizer.ggml.tokens").size() : 0;
    }

    /**
     * KV-cache bytes per token at F16. DeepSeek's MLA (deepseek2 with key_length_mla) caches the compressed
     * latent: one K row of kv_lora_rank + rope dims per layer, V is read from it. Standard attention caches K
     * and V for every KV head.
     */
    private static long kvBytesPerToken(GgufMetadata m, String p, int layers, int heads, int embedding) throws GgufFormatException {
        int headsKv = m.getInt(p + "attention.head_count_kv", heads);
        int headDim = heads == 0 ? 0 : embedding / heads;
        int keyLength = m.getInt(p + "attention.key_length", headDim);
        int valueLength = m.getInt(p + "attention.value_length", headDim);
        if (m.contains(p + "attention.key_length_mla")) {
            return 2L * layers * keyLength; // K only: kv_lora_rank + rope dims, MQA-style (head_count_kv 1)
        }
        return 2L * layers * headsKv * (keyLength + valueLength);
    }

    private static String quantization(GgufMetadata m, Map<GgmlType, Long> types) throws GgufFormatException {
        int fileType = m.getInt("general.file_type", -1);
        if (fileType >= 0 && fileType < FILE_TYPES.size()) {
            return FILE_TYPES.get(fileType);
        }
        return types.entrySet().stream().max(Map.Entry.comparingByValue()).map(e -> e.getKey().ggmlName().toUpperCase(Locale.ROOT))
                .orElse("none");
    }

    /** The markers llama.cpp's llm_chat_detect_template looks for, for the families jseek's users meet. */
    static String templateFamily(String t) {
        if (t == null) {
            return "none";
        }
        if (t.contains("<｜Assistant｜>") && t.contains("<｜User｜>") && t.contains("<｜end▁of▁sentence｜>")) {
            return "deepseek3";
        }
        if (t.contains("'Assistant: ' + message['content'] + eos_token")) {
            return "deepseek2";
        }
        if (t.contains("### Instruction:") && t.contains("<|EOT|>")) {
            return "deepseek";
        }
        if (t.contains("<|start_header_id|>") && t.contains("<|end_header_id|>")) {
            return "llama3";
        }
        if (t.contains("<|im_start|>")) {
            return "chatml";
        }
        return "other";
    }

    static boolean prefillsThinking(String t) {
        return t.contains("<｜Assistant｜><think>") || t.contains("<think>\\n");
    }

    /** Says plainly what the file is: R1 (671B MoE) and an R1-Distill (a small dense model) are not the same thing. */
    static String kind(String arch, String name, int layers, int experts, String template) {
        String lower = name.toLowerCase(Locale.ROOT);
        boolean r1Template = template != null && templateFamily(template).equals("deepseek3");
        if (arch.equals("deepseek2")) {
            if (layers == 26 || layers == 27) {
                return "DeepSeek-V2-Lite architecture (" + (lower.contains("coder") ? "Coder-V2-Lite, " : "")
                        + "MoE, MLA); 16B total, 2.4B active at full size";
            }
            if (layers >= 60) {
                return "DeepSeek-V3/R1 architecture (MoE, MLA): the full 671B-class model" + (lower.contains("r1") ? " (R1)" : "");
            }
            return "DeepSeek-V2/V3 architecture (MoE, MLA), " + layers + " layers" + (layers < 10 ? " (a small test model)" : "");
        }
        if (lower.contains("distill") || (r1Template && (arch.equals("qwen2") || arch.equals("llama")))) {
            return "R1-Distill: a dense " + arch + " model fine-tuned on DeepSeek-R1's reasoning, not R1 itself";
        }
        if (arch.equals("deepseek")) {
            return "DeepSeek LLM / Coder (v1, dense)";
        }
        return (experts > 0 ? "MoE " : "dense ") + arch + " model";
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
