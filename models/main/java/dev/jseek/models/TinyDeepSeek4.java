package dev.jseek.models;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufArray;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Writes a tiny DeepSeek-V4-architecture GGUF with random weights: llama.cpp's {@code deepseek4} architecture
 * (src/models/deepseek4.cpp). What V4 has that {@code deepseek2} (V3/R1) does not: manifold hyper-connections
 * ({@code hc_mult} copies of the residual stream mixed by Sinkhorn-normalised {@code hc_*} weights, and an
 * {@code output_hc_*} head), one shared K=V head per layer ({@code attn_kv}, head size {@code key_length}) with
 * attention sinks, no MLA up-projections, a grouped low-rank output ({@code attn_output_a}/{@code attn_output_b}),
 * a sliding window on every layer, per-layer KV compression (ratio 0, 4 or 128; ratio 4 with a lightning indexer,
 * its own compressor and {@code indexer.*} tensors), a second RoPE base for compressed layers, {@code sqrtsoftplus}
 * expert scoring, hash routing (a token-to-experts table {@code ffn_gate_tid2eid}) in the first layers, clamped
 * SwiGLU, and no dense leading blocks. The tokenizer is DeepSeek's (from a vocab GGUF) with V4's chat template and
 * its markers as control tokens; the output is noise.
 *
 * <p>Same vocab, config and seed give a byte-identical file.
 */
public final class TinyDeepSeek4 {
    public static final String ARCHITECTURE = "deepseek4";
    public static final String MODEL_NAME = "jseek tiny DeepSeek-V4 (random weights)";
    public static final String FLASH_MODEL_NAME = "jseek DeepSeek-V4-Flash shape (no weights)";

    /** The markers V4's template writes (the same four as R1's), appended as control tokens unless already there. */
    public static final List<String> CHAT_MARKERS = R1Tokenizer.CHAT_MARKERS;

    /** DeepSeek-V4's template, from the pinned llama.cpp's models/templates. */
    static final String TEMPLATE_RESOURCE = "deepseek-ai-DeepSeek-V4.jinja";

    private static final int FILE_TYPE_MOSTLY_F16 = 1;
    private static final int QUANTIZATION_VERSION = 2;
    // llama_expert_gating_func_type LLAMA_EXPERT_GATING_FUNC_TYPE_SQRT_SOFTPLUS: the only one the loader accepts
    static final int GATING_SQRT_SOFTPLUS = 4;
    // the compression ratios llama.cpp's deepseek4 loader supports; 4 adds the indexer
    static final List<Integer> COMPRESS_RATIOS = List.of(0, 4, 128);
    // the one deepseek4 layer count llama.cpp's model-type table lists: DeepSeek-V4-Flash
    static final int V4_FLASH_BLOCKS = 43;

    private TinyDeepSeek4() {
    }

    /**
     * Dimensions and seed. Names follow DeepSeek-V4's config.json where there is one.
     *
     * @param embeddingLength         hidden_size (n_embd)
     * @param headCount               num_attention_heads
     * @param headDim                 head_dim: the one K=V head's size and each query head's (key_length = value_length)
     * @param ropeDim                 qk_rope_head_dim: the rotated tail of each head (even, at most headDim)
     * @param qLoraRank               q_lora_rank
     * @param outputGroupCount        o_groups: the heads' outputs are projected down in this many groups
     * @param outputLoraRank          o_lora_rank: each group's rank
     * @param slidingWindow           sliding_window
     * @param compressRatios          compress_ratios, one per block: 0 (window only), 4 (compressed with the indexer)
     *                                or 128; at least one 4
     * @param indexerHeadCount        index_n_heads
     * @param indexerHeadDim          index_head_dim (a multiple of 64, at least ropeDim)
     * @param indexerTopK             index_topk
     * @param hcMult                  hc_mult: copies of the residual stream
     * @param hcSinkhornIterations    hc_sinkhorn_iters
     * @param hcEps                   hc_eps
     * @param hashLayerCount          num_hash_layers: the first blocks route by a token-to-experts table
     * @param expertFeedForwardLength moe_intermediate_size
     * @param expertCount             n_routed_experts
     * @param expertUsedCount         num_experts_per_tok
     * @param expertSharedCount       n_shared_experts
     * @param expertWeightsScale      routed_scaling_factor
     * @param swigluLimit             swiglu_limit (the clamp of the experts' SwiGLU)
     * @param contextLength           max_position_embeddings
     * @param ropeFreqBase            rope_theta (uncompressed layers)
     * @param compressRopeFreqBase    compress_rope_theta (compressed layers)
     * @param yarnFactor              rope_scaling.factor of YaRN (compressed layers)
     * @param yarnOriginalContextLength rope_scaling.original_max_position_embeddings
     * @param rmsNormEps              rms_norm_eps
     * @param seed                    of the random weights
     */
    public record Config(
            int embeddingLength,
            int headCount,
            int headDim,
            int ropeDim,
            int qLoraRank,
            int outputGroupCount,
            int outputLoraRank,
            int slidingWindow,
            List<Integer> compressRatios,
            int indexerHeadCount,
            int indexerHeadDim,
            int indexerTopK,
            int hcMult,
            int hcSinkhornIterations,
            float hcEps,
            int hashLayerCount,
            int expertFeedForwardLength,
            int expertCount,
            int expertUsedCount,
            int expertSharedCount,
            float expertWeightsScale,
            float swigluLimit,
            int contextLength,
            float ropeFreqBase,
            float compressRopeFreqBase,
            float yarnFactor,
            int yarnOriginalContextLength,
            float rmsNormEps,
            long seed) {

        public Config {
            compressRatios = List.copyOf(compressRatios);
            require(embeddingLength > 0 && headCount > 0 && qLoraRank > 0 && outputLoraRank > 0 && slidingWindow > 0
                    && expertFeedForwardLength > 0 && expertSharedCount > 0 && contextLength > 0,
                    "dimensions must be positive");
            require(ropeDim > 0 && ropeDim % 2 == 0 && ropeDim <= headDim,
                    "ropeDim must be positive, even and at most headDim");
            require(outputGroupCount > 0 && headCount % outputGroupCount == 0,
                    "outputGroupCount must divide headCount (llama.cpp asserts n_head % o_groups == 0)");
            require(!compressRatios.isEmpty() && compressRatios.size() <= 512, "one compress ratio per block, 1..512 blocks");
            require(COMPRESS_RATIOS.containsAll(compressRatios), "compress ratios must be 0, 4 or 128");
            // without a ratio-4 block llama.cpp divides by zero sizing the indexer's cache (ArchitectureCheck)
            require(compressRatios.contains(4), "at least one block needs compress ratio 4 (the lightning indexer)");
            require(indexerHeadCount > 0 && indexerTopK > 0, "the indexer needs positive heads and top-k");
            require(indexerHeadDim >= ropeDim && indexerHeadDim % 64 == 0,
                    "indexerHeadDim must be a multiple of 64 (llama.cpp's Hadamard rotation) and at least ropeDim");
            require(hcMult > 0 && hcSinkhornIterations > 0 && hcEps > 0, "hyper-connections need hcMult, iterations and eps > 0");
            require(hashLayerCount >= 0 && hashLayerCount <= compressRatios.size(), "hashLayerCount must be in 0..blocks");
            require(expertCount > 0 && expertCount <= 512, "expertCount must be in 1..512 (LLAMA_MAX_EXPERTS)");
            require(expertUsedCount > 0 && expertUsedCount <= expertCount, "expertUsedCount must be in 1..expertCount");
            require(swigluLimit > 0 && yarnFactor > 1 && yarnOriginalContextLength > 0 && rmsNormEps > 0,
                    "swigluLimit, yarnFactor (> 1), yarnOriginalContextLength and rmsNormEps must be positive");
        }

        /**
         * About 30 MB, mostly the F16 token_embd and output of 102404 x 64: n_embd 64, 3 blocks with compress ratios
         * 0, 4 and 128 (so the window-only, indexed and heavily compressed paths all run), 4 heads of 32 with a
         * rotated tail of 8, q_lora 32, 2 output groups of rank 16, window 16, indexer 2 heads of 64 keeping the top
         * 8, 4 hyper-connection copies with 20 Sinkhorn iterations, the first block hash-routed, 8 experts of FFN
         * 32 with 2 used and 1 shared, routed scale 1.5, SwiGLU limit 10, RoPE bases 10000 and 160000, YaRN x4 over
         * 1024, context 4096, seed 42.
         */
        public static Config defaults() {
            return new Config(64, 4, 32, 8, 32, 2, 16, 16, List.of(0, 4, 128), 2, 64, 8, 4, 20, 1e-6f, 1, 32, 8, 2, 1,
                    1.5f, 10f, 4096, 10000f, 160000f, 4f, 1024, 1e-6f, 42);
        }

        /**
         * DeepSeek-V4-Flash's shapes (284B parameters, 13B active), from its config.json: n_embd 4096, 43 blocks, 64
         * query heads sharing one K=V head of 512 with a rotated tail of 64, q_lora 1024, 8 output groups of rank
         * 1024, a sliding window of 128; compress ratios 0 for blocks 0 and 1, then 4 (with the lightning indexer)
         * and 128 alternating; an indexer of 64 heads of 128 keeping the top 512; 4 hyper-connection copies with 20
         * Sinkhorn iterations; the first 3 blocks hash-routed; 256 experts of FFN 2048 with 6 used and 1 shared,
         * routed scale 1.5, SwiGLU limit 10; context 1,048,576 with RoPE bases 10000 and 160000 and YaRN x16 over
         * 65,536. llama.cpp names 43 deepseek4 blocks V4-Flash (src/models/deepseek4.cpp's model-type switch; its
         * converter's example is DeepSeek-V4-Flash-Base). The vocabulary is the vocab file's (DeepSeek-LLM's 102,400
         * plus the markers), not V4's 129,280. Hundreds of GB of weights: written only as a sparse file.
         */
        public static Config v4FlashShape() {
            var ratios = new ArrayList<Integer>(List.of(0, 0));
            for (int i = 2; i < V4_FLASH_BLOCKS; i++) {
                ratios.add(i % 2 == 0 ? 4 : 128);
            }
            return new Config(4096, 64, 512, 64, 1024, 8, 1024, 128, ratios, 64, 128, 512, 4, 20, 1e-6f, 3, 2048, 256, 6, 1,
                    1.5f, 10f, 1_048_576, 10000f, 160000f, 16f, 65_536, 1e-6f, 42);
        }

        public int blockCount() {
            return compressRatios.size();
        }

        public Config withSeed(long newSeed) {
            return new Config(embeddingLength, headCount, headDim, ropeDim, qLoraRank, outputGroupCount, outputLoraRank,
                    slidingWindow, compressRatios, indexerHeadCount, indexerHeadDim, indexerTopK, hcMult,
                    hcSinkhornIterations, hcEps, hashLayerCount, expertFeedForwardLength, expertCount, expertUsedCount,
                    expertSharedCount, expertWeightsScale, swigluLimit, contextLength, ropeFreqBase, compressRopeFreqBase,
                    yarnFactor, yarnOriginalContextLength, rmsNormEps, newSeed);
        }

        private static void require(boolean condition, String message) {
            if (!condition) {
                throw new IllegalArgumentException(message);
            }
        }
    }

    /** How a tensor's values are drawn. */
    enum Init {
        /** RMS-norm weights and the hyper-connection scales: 1. */
        ONE,
        /** Gaussian with std 1/sqrt(row length). */
        WEIGHT,
        /** Gaussian with std 0.1: biases, sinks, the compressors' position embeddings. */
        BIAS,
        /** Distinct expert ids per token row, I32: the hash router's table. */
        EXPERT_IDS
    }

    record TensorSpec(String name, GgmlType type, long[] shape, Init init) {
        long elementCount() {
            return Arrays.stream(shape).reduce(1, Math::multiplyExact);
        }
    }

    /**
     * The tensor table of src/models/deepseek4.cpp's load_arch_tensors, shapes in ggml order: matrices F16; 1-D
     * tensors, the router, the hyper-connection weights and the compressors' position embeddings F32; the hash
     * table I32. {@code attn_output_a} is stored 2-D, as the converter writes it; llama.cpp reshapes it into groups.
     */
    static List<TensorSpec> plan(Config c, int vocabSize) {
        long embd = c.embeddingLength();
        long head = c.headDim();
        long hcDim = (long) c.hcMult() * embd;
        long hcMixDim = (2L + c.hcMult()) * c.hcMult();
        long sharedFf = (long) c.expertFeedForwardLength() * c.expertSharedCount();
        long experts = c.expertCount();
        long ff = c.expertFeedForwardLength();
        var t = new ArrayList<TensorSpec>();
        t.add(matrix("token_embd.weight", embd, vocabSize));
        for (int i = 0; i < c.blockCount(); i++) {
            String blk = "blk." + i + ".";
            t.add(one(blk + "attn_norm.weight", embd));
            t.add(f32(blk + "attn_sinks.weight", Init.BIAS, c.headCount()));
            t.add(matrix(blk + "attn_q_a.weight", embd, c.qLoraRank()));
            t.add(one(blk + "attn_q_a_norm.weight", c.qLoraRank()));
            t.add(matrix(blk + "attn_q_b.weight", c.qLoraRank(), c.headCount() * head));
            t.add(matrix(blk + "attn_kv.weight", embd, head));
            t.add(one(blk + "attn_kv_a_norm.weight", head));
            t.add(matrix(blk + "attn_output_a.weight", c.headCount() * head / c.outputGroupCount(),
                    (long) c.outputLoraRank() * c.outputGroupCount()));
            t.add(matrix(blk + "attn_output_b.weight", (long) c.outputGroupCount() * c.outputLoraRank(), embd));
            for (String where : List.of("attn", "ffn")) {
                t.add(f32(blk + "hc_" + where + "_fn.weight", Init.WEIGHT, hcDim, hcMixDim));
                t.add(f32(blk + "hc_" + where + "_base.weight", Init.BIAS, hcMixDim));
                t.add(f32(blk + "hc_" + where + "_scale.weight", Init.ONE, 3));
            }
            int ratio = c.compressRatios().get(i);
            if (ratio != 0) {
                long coff = ratio == 4 ? 2 : 1;
                t.add(matrix(blk + "attn_compressor_kv.weight", embd, coff * head));
                t.add(matrix(blk + "attn_compressor_gate.weight", embd, coff * head));
                t.add(f32(blk + "attn_compressor_ape.weight", Init.BIAS, coff * head, ratio));
                t.add(one(blk + "attn_compressor_norm.weight", head));
                if (ratio == 4) {
                    long indexerHead = c.indexerHeadDim();
                    t.add(matrix(blk + "indexer.proj.weight", embd, c.indexerHeadCount()));
                    t.add(matrix(blk + "indexer.attn_q_b.weight", c.qLoraRank(), c.indexerHeadCount() * indexerHead));
                    t.add(matrix(blk + "indexer_compressor_kv.weight", embd, 2 * indexerHead));
                    t.add(matrix(blk + "indexer_compressor_gate.weight", embd, 2 * indexerHead));
                    t.add(f32(blk + "indexer_compressor_ape.weight", Init.BIAS, 2 * indexerHead, ratio));
                    t.add(one(blk + "indexer_compressor_norm.weight", indexerHead));
                }
            }
            t.add(f32(blk + "ffn_gate_inp.weight", Init.WEIGHT, embd, experts));
            if (i < c.hashLayerCount()) {
                t.add(new TensorSpec(blk + "ffn_gate_tid2eid.weight", GgmlType.I32,
                        new long[] {c.expertUsedCount(), vocabSize}, Init.EXPERT_IDS));
            } else {
                t.add(f32(blk + "exp_probs_b.bias", Init.BIAS, experts));
            }
            t.add(one(blk + "ffn_norm.weight", embd));
            t.add(matrix(blk + "ffn_gate_exps.weight", embd, ff, experts));
            t.add(matrix(blk + "ffn_down_exps.weight", ff, embd, experts));
            t.add(matrix(blk + "ffn_up_exps.weight", embd, ff, experts));
            t.add(matrix(blk + "ffn_gate_shexp.weight", embd, sharedFf));
            t.add(matrix(blk + "ffn_down_shexp.weight", sharedFf, embd));
            t.add(matrix(blk + "ffn_up_shexp.weight", embd, sharedFf));
        }
        t.add(one("output_norm.weight", embd));
        t.add(matrix("output.weight", embd, vocabSize));
        t.add(f32("output_hc_fn.weight", Init.WEIGHT, hcDim, c.hcMult()));
        t.add(f32("output_hc_base.weight", Init.BIAS, c.hcMult()));
        t.add(f32("output_hc_scale.weight", Init.ONE, 1));
        return t;
    }

    private static TensorSpec matrix(String name, long... shape) {
        return new TensorSpec(name, GgmlType.F16, shape, Init.WEIGHT);
    }

    private static TensorSpec one(String name, long length) {
        return new TensorSpec(name, GgmlType.F32, new long[] {length}, Init.ONE);
    }

    private static TensorSpec f32(String name, Init init, long... shape) {
        return new TensorSpec(name, GgmlType.F32, shape, init);
    }

    /** Writes the model to {@code out}, reading the tokenizer from {@code vocabGguf}. */
    public static void write(Path vocabGguf, Path out, Config cfg) throws IOException {
        R1Tokenizer.Extended tokenizer = R1Tokenizer.extend(GgufReader.read(vocabGguf).metadata(), CHAT_MARKERS,
                TEMPLATE_RESOURCE);
        var writer = new GgufWriter();
        putGeneral(writer, cfg);
        putHyperparameters(writer, cfg, tokenizer.tokenCount());
        writer.putAll(tokenizer.metadata());
        for (var spec : plan(cfg, tokenizer.tokenCount())) {
            if (spec.init() == Init.EXPERT_IDS) {
                writer.addRawTensor(spec.name(), spec.type(), spec.shape(), expertIds(spec, cfg));
            } else {
                writer.addTensor(spec.name(), spec.type(), spec.shape(), values(spec, cfg.seed()));
            }
        }
        writer.write(out);
    }

    /**
     * As {@link TinyDeepSeek#writeSparse}: the metadata and tensor table of {@code cfg}, the weights a hole of the right
     * length (zeros, no disk on file systems with sparse files). For shapes too large to write, as
     * {@link Config#v4FlashShape()}: {@code jseek info} and the checks read only the header.
     */
    public static void writeSparse(Path vocabGguf, Path out, Config cfg) throws IOException {
        R1Tokenizer.Extended tokenizer = R1Tokenizer.extend(GgufReader.read(vocabGguf).metadata(), CHAT_MARKERS,
                TEMPLATE_RESOURCE);
        var writer = new GgufWriter();
        putGeneral(writer, cfg);
        putHyperparameters(writer, cfg, tokenizer.tokenCount());
        writer.putAll(tokenizer.metadata());
        for (var spec : plan(cfg, tokenizer.tokenCount())) {
            writer.addGeneratedTensor(spec.name(), spec.type(), spec.shape(), UniformF16.CHUNK_BYTES, (index, chunk) -> {
                throw new AssertionError("a sparse file's weights are never made");
            });
        }
        writer.writeSparse(out);
    }

    private static void putGeneral(GgufWriter w, Config cfg) {
        boolean flash = cfg.blockCount() == V4_FLASH_BLOCKS;
        w.putString("general.architecture", ARCHITECTURE);
        w.putString("general.type", "model");
        w.putString("general.name", flash ? FLASH_MODEL_NAME : MODEL_NAME);
        w.putString("general.basename", flash ? "jseek-sparse-deepseek-v4-flash" : "jseek-tiny-deepseek-v4");
        w.putString("general.description", flash
                ? "DeepSeek-V4-Flash's shapes with no weights (a sparse file), for testing what reads a model's header."
                : "Random weights in the DeepSeek-V4 architecture, for testing runtimes; it does not speak.");
        w.putUInt32("general.file_type", FILE_TYPE_MOSTLY_F16);
        w.putUInt32("general.quantization_version", QUANTIZATION_VERSION);
    }

    // the keys src/models/deepseek4.cpp's load_arch_hparams and the generic loader read
    private static void putHyperparameters(GgufWriter w, Config c, int vocabSize) {
        String a = ARCHITECTURE + ".";
        w.putUInt32(a + "block_count", c.blockCount());
        w.putUInt32(a + "context_length", c.contextLength());
        w.putUInt32(a + "embedding_length", c.embeddingLength());
        w.putUInt32(a + "attention.head_count", c.headCount());
        w.putUInt32(a + "attention.head_count_kv", 1);
        w.putUInt32(a + "attention.key_length", c.headDim());
        w.putUInt32(a + "attention.value_length", c.headDim());
        w.putUInt32(a + "rope.dimension_count", c.ropeDim());
        w.putFloat32(a + "rope.freq_base", c.ropeFreqBase());
        w.putString(a + "rope.scaling.type", "yarn");
        w.putFloat32(a + "rope.scaling.factor", c.yarnFactor());
        w.putUInt32(a + "rope.scaling.original_context_length", c.yarnOriginalContextLength());
        w.putFloat32(a + "rope.scaling.yarn_beta_fast", 32f);
        w.putFloat32(a + "rope.scaling.yarn_beta_slow", 1f);
        w.putFloat32(a + "attention.layer_norm_rms_epsilon", c.rmsNormEps());
        w.putUInt32(a + "attention.q_lora_rank", c.qLoraRank());
        w.putUInt32(a + "attention.sliding_window", c.slidingWindow());
        w.putUInt32(a + "attention.output_group_count", c.outputGroupCount());
        w.putUInt32(a + "attention.output_lora_rank", c.outputLoraRank());
        w.putFloat32(a + "attention.compress_rope_freq_base", c.compressRopeFreqBase());
        w.put(a + "attention.compress_ratios", GgufArray.ofInt32(c.compressRatios().stream().mapToInt(Integer::intValue).toArray()));
        w.putUInt32(a + "attention.indexer.head_count", c.indexerHeadCount());
        w.putUInt32(a + "attention.indexer.key_length", c.indexerHeadDim());
        w.putUInt32(a + "attention.indexer.top_k", c.indexerTopK());
        w.putUInt32(a + "hyper_connection.count", c.hcMult());
        w.putUInt32(a + "hyper_connection.sinkhorn_iterations", c.hcSinkhornIterations());
        w.putFloat32(a + "hyper_connection.epsilon", c.hcEps());
        w.putUInt32(a + "hash_layer_count", c.hashLayerCount());
        w.putUInt32(a + "expert_count", c.expertCount());
        w.putUInt32(a + "expert_used_count", c.expertUsedCount());
        w.putUInt32(a + "expert_shared_count", c.expertSharedCount());
        w.putUInt32(a + "expert_feed_forward_length", c.expertFeedForwardLength());
        w.putFloat32(a + "expert_weights_scale", c.expertWeightsScale());
        w.putBool(a + "expert_weights_norm", true);
        w.putUInt32(a + "expert_gating_func", GATING_SQRT_SOFTPLUS);
        w.putFloat32(a + "swiglu_clamp_exp", c.swigluLimit());
        w.putFloat32(a + "swiglu_clamp_shexp", c.swigluLimit());
        w.putUInt32(a + "vocab_size", vocabSize);
    }

    private static float[] values(TensorSpec spec, long seed) {
        float[] values = new float[Math.toIntExact(spec.elementCount())];
        switch (spec.init()) {
            case ONE -> Arrays.fill(values, 1f);
            case WEIGHT -> gaussian(values, SplitMix64.forStream(seed, spec.name()), 1 / Math.sqrt(spec.shape()[0]));
            case BIAS -> gaussian(values, SplitMix64.forStream(seed, spec.name()), 0.1);
            case EXPERT_IDS -> throw new IllegalArgumentException(spec.name() + " holds expert ids, not values");
        }
        return values;
    }

    // each token's row: expertUsedCount distinct experts, drawn by a partial Fisher-Yates shuffle
    private static byte[] expertIds(TensorSpec spec, Config c) {
        var random = SplitMix64.forStream(c.seed(), spec.name());
        int used = c.expertUsedCount();
        long rows = spec.shape()[1];
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(rows * used * Integer.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
        int[] ids = new int[c.expertCount()];
        for (long row = 0; row < rows; row++) {
            for (int e = 0; e < ids.length; e++) {
                ids[e] = e;
            }
            for (int k = 0; k < used; k++) {
                int j = k + (int) Long.remainderUnsigned(random.nextLong(), ids.length - k);
                int swap = ids[k];
                ids[k] = ids[j];
                ids[j] = swap;
                out.putInt(ids[k]);
            }
        }
        return out.array();
    }

    private static void gaussian(float[] values, SplitMix64 random, double std) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
    }

    /** {@code --vocab PATH --out PATH [--shape tiny|v4-flash] [--sparse] [--seed N]}. */
    public static void main(String... args) {
        command().run(args);
    }

    static GeneratorCommand<Config> command() {
        return new GeneratorCommand<>("tiny-deepseek4", USAGE, "--shape",
                GeneratorCommand.shapes(java.util.Map.entry("tiny", Config.defaults()), java.util.Map.entry("v4-flash", Config.v4FlashShape())), "tiny", true, Config::withSeed,
                c -> c.blockCount() == V4_FLASH_BLOCKS ? "over 500 GB of F16 weights" : null,
                (vocab, out, c, sparse) -> {
                    if (sparse) {
                        writeSparse(vocab, out, c);
                    } else {
                        write(vocab, out, c);
                    }
                });
    }

    private static final String USAGE = """
            usage: TinyDeepSeek4 --vocab PATH --out PATH [--shape tiny|v4-flash] [--sparse] [--seed N]
              --vocab  a DeepSeek vocab GGUF, e.g. llama.cpp's models/ggml-vocab-deepseek-llm.gguf
              --out    where to write the model
              --shape  tiny (about 30 MB, the default) or v4-flash (DeepSeek-V4-Flash's shapes: only with --sparse)
              --sparse metadata and tensor table only; the weights are a hole of the right length (no disk)
              --seed   seed of the random weights (default 42)""";
}
