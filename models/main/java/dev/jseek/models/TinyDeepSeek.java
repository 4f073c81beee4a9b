package dev.jseek.models;

import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Writes a tiny DeepSeek-V3/R1-architecture GGUF with random weights: llama.cpp's {@code deepseek2}
 * architecture, non-lite (low-rank q with {@code attn_q_a}/{@code attn_q_b}), MLA stored as MQA with
 * split {@code attn_k_b}/{@code attn_v_b}, leading dense blocks then MoE blocks with a shared expert and
 * V3's sigmoid routing with expert bias and groups, YaRN RoPE scaling like V3's. The tokenizer is a real
 * DeepSeek one (copied from a vocab GGUF) plus the R1 chat markers and template, so prompts tokenize and
 * chat-format as with the real model; the output is noise.
 *
 * <p>Same vocab, config and seed give a byte-identical file.
 */
public final class TinyDeepSeek {
    public static final String ARCHITECTURE = "deepseek2";
    public static final String MODEL_NAME = "jseek tiny DeepSeek-R1 (random weights)";
    public static final String V2_LITE_SHAPE_NAME = "jseek DeepSeek-V2-Lite shape (random weights)";
    public static final String SPARSE_NAME = "jseek DeepSeek shape (no weights: a sparse file)";

    /** The R1 chat markers, appended to the vocab as control tokens in this order (unless already there). */
    public static final List<String> CHAT_MARKERS = R1Tokenizer.CHAT_MARKERS;

    // llama_ftype LLAMA_FTYPE_MOSTLY_F16 and GGML_QNT_VERSION, as the converter writes them
    private static final int FILE_TYPE_MOSTLY_F16 = 1;
    private static final int QUANTIZATION_VERSION = 2;
    // llama_expert_gating_func_type LLAMA_EXPERT_GATING_FUNC_TYPE_SIGMOID: DeepSeek-V3's scoring_func
    private static final int GATING_SIGMOID = 2;
    // LLAMA_EXPERT_GATING_FUNC_TYPE_SOFTMAX: DeepSeek-V2's
    private static final int GATING_SOFTMAX = 1;
    // Larger tensors are drawn uniform (same spread) in parallel chunks, straight into the file: V2-Lite's
    // expert tensors alone are 0.4 GB each in F16. The tiny model's largest has 6.6 M elements.
    private static final long LARGE_TENSOR_ELEMENTS = 16L << 20;
    // llama.cpp treats a deepseek2 model with 26 or 27 blocks as "lite" (V2-Lite: no q_lora)
    private static final List<Integer> LITE_BLOCK_COUNTS = List.of(26, 27);

    private TinyDeepSeek() {
    }

    /**
     * Dimensions and seed. Names follow DeepSeek-V3's config.json where there is one.
     *
     * @param embeddingLength           hidden_size (n_embd)
     * @param blockCount                num_hidden_layers; llama.cpp loads 26 or 27 as V2-Lite (no q_lora), so
     *                                  those counts need {@code qLoraRank} 0 and other counts a positive one
     * @param leadingDenseBlockCount    first_k_dense_replace: blocks with a dense FFN before the MoE ones
     * @param headCount                 num_attention_heads
     * @param qLoraRank                 q_lora_rank; 0 for V2-Lite's direct query projection ({@code attn_q})
     * @param kvLoraRank                kv_lora_rank (the MLA latent, what the KV cache stores)
     * @param qkNopeHeadDim             qk_nope_head_dim
     * @param qkRopeHeadDim             qk_rope_head_dim (even)
     * @param vHeadDim                  v_head_dim
     * @param feedForwardLength         intermediate_size of the dense blocks
     * @param expertFeedForwardLength   moe_intermediate_size
     * @param expertCount               n_routed_experts
     * @param expertUsedCount           num_experts_per_tok
     * @param expertSharedCount         n_shared_experts (at least 1)
     * @param expertGroupCount          n_group; 0 for no group-limited routing
     * @param expertGroupUsedCount      topk_group; 0 when there are no groups
     * @param expertWeightsScale        routed_scaling_factor
     * @param sigmoidGating             V3's router (sigmoid scores, a bias per expert, top-k weights normalised);
     *                                  false for V2's softmax router
     * @param contextLength             max_position_embeddings (context_length in GGUF)
     * @param ropeFreqBase              rope_theta
     * @param yarnFactor                rope_scaling.factor of YaRN; 0 for no RoPE scaling
     * @param yarnOriginalContextLength rope_scaling.original_max_position_embeddings (used with YaRN)
     * @param rmsNormEps                rms_norm_eps
     * @param seed                      of the random weights
     */
    public record Config(
            int embeddingLength,
            int blockCount,
            int leadingDenseBlockCount,
            int headCount,
            int qLoraRank,
            int kvLoraRank,
            int qkNopeHeadDim,
            int qkRopeHeadDim,
            int vHeadDim,
            int feedForwardLength,
            int expertFeedForwardLength,
            int expertCount,
            int expertUsedCount,
            int expertSharedCount,
            int expertGroupCount,
            int expertGroupUsedCount,
            float expertWeightsScale,
            boolean sigmoidGating,
            int contextLength,
            float ropeFreqBase,
            float yarnFactor,
            int yarnOriginalContextLength,
            float rmsNormEps,
            long seed) {

        public Config {
            require(embeddingLength > 0 && headCount > 0 && qLoraRank >= 0 && kvLoraRank > 0 && qkNopeHeadDim > 0
                    && vHeadDim > 0 && feedForwardLength > 0 && expertFeedForwardLength > 0,
                    "dimensions must be positive");
            require(qkRopeHeadDim > 0 && qkRopeHeadDim % 2 == 0, "qkRopeHeadDim must be positive and even (RoPE rotates pairs)");
            require(blockCount > 0 && blockCount <= 512, "blockCount must be in 1..512 (LLAMA_MAX_LAYERS)");
            require(LITE_BLOCK_COUNTS.contains(blockCount) == (qLoraRank == 0),
                    "qLoraRank must be 0 exactly when blockCount is 26 or 27: llama.cpp loads those as DeepSeek-V2-Lite, without q_lora");
            require(leadingDenseBlockCount >= 0 && leadingDenseBlockCount < blockCount,
                    "leadingDenseBlockCount must leave at least one MoE block");
            require(expertCount > 0 && expertCount <= 512, "expertCount must be in 1..512 (LLAMA_MAX_EXPERTS)");
            require(expertUsedCount > 0 && expertUsedCount <= expertCount, "expertUsedCount must be in 1..expertCount");
            require(expertSharedCount > 0, "expertSharedCount must be at least 1, as in DeepSeek-V3");
            if (expertGroupCount == 0) {
                require(expertGroupUsedCount == 0, "expertGroupUsedCount must be 0 without expert groups");
            } else {
                // llama_model_base::load_hparams asserts these; build_moe_ffn sums the top 2 scores per group
                require(expertGroupCount > 1 && expertGroupCount < expertCount && expertCount % expertGroupCount == 0,
                        "expertGroupCount must divide expertCount into groups, 1 < groups < experts");
                require(expertCount / expertGroupCount >= 2, "each expert group needs at least 2 experts");
                require(expertGroupUsedCount > 0 && expertGroupUsedCount < expertGroupCount,
                        "expertGroupUsedCount must be in 1..expertGroupCount-1");
                require(expertUsedCount <= expertCount / expertGroupCount * expertGroupUsedCount,
                        "expertUsedCount must not exceed the experts in the used groups");
            }
            require(contextLength > 0, "contextLength must be positive");
            require(yarnFactor == 0 || (yarnFactor > 1 && yarnOriginalContextLength > 0),
                    "yarnFactor must be 0 (no scaling) or above 1 with a positive yarnOriginalContextLength");
            require(rmsNormEps > 0, "rmsNormEps must be positive");
        }

        /**
         * About 31 MB (13.3 M parameters, mostly the F16 token_embd and output of 102404 x 64): n_embd 64, 3 blocks (1 dense, 2 MoE), 4 heads, q_lora 48, kv_lora 32, qk_nope 16,
         * qk_rope 8, v_head 16, dense FFN 128, 8 experts of FFN 32 with 2 used and 1 shared, 4 groups of
         * which 2 used, V3's routed scale 2.5, context 4096 with YaRN x4 over 1024, seed 42.
         */
        public static Config defaults() {
            return new Config(64, 3, 1, 4, 48, 32, 16, 8, 16, 128, 32, 8, 2, 1, 4, 2, 2.5f, true, 4096, 10000f, 4f, 1024,
                    1e-6f, 42);
        }

        /**
         * DeepSeek-V2-Lite's shapes (its config.json): hidden 2048, 27 blocks (1 dense), 16 heads, no q_lora,
         * kv_lora 512, qk_nope 128, qk_rope 64, v_head 128, dense FFN 10944, 64 routed experts of FFN 1408 with
         * 6 used and 2 shared, softmax router, YaRN x40 over 4096: 15.7 B parameters, 31 GB in F16.
         */
        public static Config v2LiteShape() {
            return new Config(2048, 27, 1, 16, 0, 512, 128, 64, 128, 10944, 1408, 64, 6, 2, 0, 0, 1f, false, 163840,
                    10000f, 40f, 4096, 1e-6f, 42);
        }

        /**
         * DeepSeek-V3/R1's shapes (their config.json, without the MTP layer): hidden 7168, 61 blocks (3 dense),
         * 128 heads, q_lora 1536, kv_lora 512, qk_nope 128, qk_rope 64, v_head 128, dense FFN 18432, 256 routed
         * experts of FFN 2048 with 8 used and 1 shared, 8 groups of which 4 used, sigmoid router with scale 2.5,
         * YaRN x40 over 4096: 671 B parameters, 1.3 TB in F16, so written only as a sparse file.
         */
        public static Config r1Shape() {
            return new Config(7168, 61, 3, 128, 1536, 512, 128, 64, 128, 18432, 2048, 256, 8, 1, 8, 4, 2.5f, true, 163840,
                    10000f, 40f, 4096, 1e-6f, 42);
        }

        /** True for V2-Lite's layout, which llama.cpp recognises by the block count. */
        public boolean lite() {
            return qLoraRank == 0;
        }

        public Config withSeed(long newSeed) {
            return new Config(embeddingLength, blockCount, leadingDenseBlockCount, headCount, qLoraRank, kvLoraRank,
                    qkNopeHeadDim, qkRopeHeadDim, vHeadDim, feedForwardLength, expertFeedForwardLength, expertCount,
                    expertUsedCount, expertSharedCount, expertGroupCount, expertGroupUsedCount, expertWeightsScale,
                    sigmoidGating, contextLength, ropeFreqBase, yarnFactor, yarnOriginalContextLength, rmsNormEps, newSeed);
        }

        private static void require(boolean condition, String message) {
            if (!condition) {
                throw new IllegalArgumentException(message);
            }
        }
    }

    /** Writes the model to {@code out}, reading the tokenizer from {@code vocabGguf}. */
    public static void write(Path vocabGguf, Path out, Config cfg) throws IOException {
        write(vocabGguf, out, cfg, message -> { });
    }

    /**
     * The model of {@code cfg} in {@code dir}, written unless it is there already: the output is deterministic by
     * configuration, so the file is named by it. The demo model and the tests' tiny model are made this way.
     *
     * @param vocabGguf the tokenizer to read, asked for only when the file must be written
     */
    public static Path ensure(Path dir, Config cfg, Supplier<Path> vocabGguf) throws IOException {
        Path target = dir.resolve("jseek-tiny-deepseek-r1-" + Integer.toHexString(cfg.toString().hashCode()) + ".gguf");
        if (!Files.isRegularFile(target)) {
            Files.createDirectories(dir);
            write(vocabGguf.get(), target, cfg); // writes a .partial file, then moves it into place
        }
        return target;
    }

    /** As {@link #write(Path, Path, Config)}, telling {@code progress} what it is doing. */
    public static void write(Path vocabGguf, Path out, Config cfg, Consumer<String> progress) throws IOException {
        progress.accept("reading the tokenizer from " + vocabGguf);
        GgufFile vocab = GgufReader.read(vocabGguf);
        R1Tokenizer.Extended tokenizer = R1Tokenizer.extend(vocab.metadata());

        var writer = new GgufWriter();
        putGeneral(writer, cfg);
        putHyperparameters(writer, cfg, tokenizer.tokenCount());
        writer.putAll(tokenizer.metadata());

        List<DeepSeek2Tensors.TensorSpec> tensors = DeepSeek2Tensors.plan(cfg, tokenizer.tokenCount());
        progress.accept("generating " + tensors.size() + " tensors for " + tokenizer.tokenCount() + " tokens, seed " + cfg.seed());
        for (var spec : tensors) {
            if (spec.elementCount() > LARGE_TENSOR_ELEMENTS) {
                writer.addGeneratedTensor(spec.name(), spec.type(), spec.shape(), UniformF16.CHUNK_BYTES,
                        new UniformF16(cfg.seed(), spec.name(), 1 / Math.sqrt(spec.shape()[0])));
            } else {
                writer.addTensor(spec.name(), spec.type(), spec.shape(), values(spec, cfg.seed()));
            }
        }
        progress.accept("writing " + out);
        writer.write(out);
    }

    /**
     * The file {@link #write} would make, with the metadata and tensor table only: the weights are a hole of the
     * right length ({@link GgufWriter#writeSparse}), so an R1-sized file takes seconds and no disk. For tests of
     * what must work without reading the weights (metadata, the tensor table, llama.cpp's dry-run load).
     */
    public static void writeSparse(Path vocabGguf, Path out, Config cfg) throws IOException {
        R1Tokenizer.Extended tokenizer = R1Tokenizer.extend(GgufReader.read(vocabGguf).metadata());
        var writer = new GgufWriter();
        putGeneral(writer, cfg);
        writer.putString("general.name", SPARSE_NAME);
        putHyperparameters(writer, cfg, tokenizer.tokenCount());
        writer.putAll(tokenizer.metadata());
        for (var spec : DeepSeek2Tensors.plan(cfg, tokenizer.tokenCount())) {
            writer.addGeneratedTensor(spec.name(), spec.type(), spec.shape(), UniformF16.CHUNK_BYTES, (index, chunk) -> {
                throw new AssertionError("a sparse file's weights are never made");
            });
        }
        writer.writeSparse(out);
    }

    private static void putGeneral(GgufWriter w, Config cfg) {
        w.putString("general.architecture", ARCHITECTURE);
        w.putString("general.type", "model");
        w.putString("general.name", cfg.lite() ? V2_LITE_SHAPE_NAME : MODEL_NAME);
        w.putString("general.basename", "jseek-tiny-deepseek-r1");
        w.putString("general.description",
                "Random weights in the DeepSeek-V3/R1 architecture, for testing runtimes; it does not speak.");
        w.putUInt32("general.file_type", FILE_TYPE_MOSTLY_F16);
        w.putUInt32("general.quantization_version", QUANTIZATION_VERSION);
    }

    // keys and types as convert_hf_to_gguf.py (DeepseekV2Model) writes them for DeepSeek-V3/R1
    private static void putHyperparameters(GgufWriter w, Config c, int vocabSize) {
        putHyperparameters(w, c, vocabSize, ARCHITECTURE);
    }

    /** The deepseek2 keys under {@code architecture}'s prefix: deepseek32 (V3.2) reads the same ones. */
    static void putHyperparameters(GgufWriter w, Config c, int vocabSize, String architecture) {
        String a = architecture + ".";
        w.putUInt32(a + "block_count", c.blockCount());
        w.putUInt32(a + "context_length", c.contextLength());
        w.putUInt32(a + "embedding_length", c.embeddingLength());
        w.putUInt32(a + "feed_forward_length", c.feedForwardLength());
        w.putUInt32(a + "attention.head_count", c.headCount());
        // MLA runs as MQA over the latent: one KV head whose key is [kv latent | rope] and value the latent
        w.putUInt32(a + "attention.head_count_kv", 1);
        w.putFloat32(a + "rope.freq_base", c.ropeFreqBase());
        w.putFloat32(a + "attention.layer_norm_rms_epsilon", c.rmsNormEps());
        w.putUInt32(a + "expert_used_count", c.expertUsedCount());
        if (c.expertGroupCount() > 0) {
            w.putUInt32(a + "expert_group_count", c.expertGroupCount());
            w.putUInt32(a + "expert_group_used_count", c.expertGroupUsedCount());
        }
        w.putUInt32(a + "expert_gating_func", c.sigmoidGating() ? GATING_SIGMOID : GATING_SOFTMAX);
        w.putUInt32(a + "leading_dense_block_count", c.leadingDenseBlockCount());
        w.putUInt32(a + "vocab_size", vocabSize);
        if (!c.lite()) {
            w.putUInt32(a + "attention.q_lora_rank", c.qLoraRank());
        }
        w.putUInt32(a + "attention.kv_lora_rank", c.kvLoraRank());
        w.putUInt32(a + "attention.key_length", c.kvLoraRank() + c.qkRopeHeadDim());
        w.putUInt32(a + "attention.value_length", c.kvLoraRank());
        w.putUInt32(a + "attention.key_length_mla", c.qkNopeHeadDim() + c.qkRopeHeadDim());
        w.putUInt32(a + "attention.value_length_mla", c.vHeadDim());
        w.putUInt32(a + "expert_feed_forward_length", c.expertFeedForwardLength());
        w.putUInt32(a + "expert_count", c.expertCount());
        w.putUInt32(a + "expert_shared_count", c.expertSharedCount());
        w.putFloat32(a + "expert_weights_scale", c.expertWeightsScale());
        w.putBool(a + "expert_weights_norm", c.sigmoidGating());
        w.putUInt32(a + "rope.dimension_count", c.qkRopeHeadDim());
        if (c.yarnFactor() > 0) {
            w.putString(a + "rope.scaling.type", "yarn");
            w.putFloat32(a + "rope.scaling.factor", c.yarnFactor());
            w.putUInt32(a + "rope.scaling.original_context_length", c.yarnOriginalContextLength());
            w.putFloat32(a + "rope.scaling.yarn_beta_fast", 32f);
            w.putFloat32(a + "rope.scaling.yarn_beta_slow", 1f);
            // the converter writes 0.1 * mscale_all_dim (1.0 for V3); llama.cpp divides the 0.1 back out
            w.putFloat32(a + "rope.scaling.yarn_log_multiplier", 0.1f);
        }
    }

    static float[] values(DeepSeek2Tensors.TensorSpec spec, long seed) {
        float[] values = new float[Math.toIntExact(spec.elementCount())];
        switch (spec.init()) {
            case ONE -> Arrays.fill(values, 1f);
            case WEIGHT -> gaussian(values, SplitMix64.forStream(seed, spec.name()), 1 / Math.sqrt(spec.shape()[0]));
            case BIAS -> gaussian(values, SplitMix64.forStream(seed, spec.name()), 0.1);
        }
        return values;
    }

    private static void gaussian(float[] values, SplitMix64 random, double std) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * std);
        }
    }

    /** {@code --vocab PATH --out PATH [--shape tiny|v2-lite|r1] [--sparse] [--seed N]}: progress on stderr. */
    public static void main(String... args) {
        command().run(args);
    }

    static GeneratorCommand<Config> command() {
        return new GeneratorCommand<>("tiny-deepseek", USAGE, "--shape",
                GeneratorCommand.shapes(java.util.Map.entry("tiny", Config.defaults()), java.util.Map.entry("v2-lite", Config.v2LiteShape()),
                        java.util.Map.entry("r1", Config.r1Shape())), "tiny", true,
                Config::withSeed, c -> c.blockCount() == Config.r1Shape().blockCount() ? "1.3 TB of weights" : null,
                (vocab, out, c, sparse) -> {
                    if (sparse) {
                        writeSparse(vocab, out, c);
                    } else {
                        write(vocab, out, c, message -> System.err.println("tiny-deepseek: " + message));
                    }
                });
    }

    private static final String USAGE = """
            usage: TinyDeepSeek --vocab PATH --out PATH [--shape tiny|v2-lite|r1] [--sparse] [--seed N]
              --vocab  a DeepSeek vocab GGUF, e.g. llama.cpp's models/ggml-vocab-deepseek-llm.gguf
              --out    where to write the model
              --shape  tiny (30 MB, the default), v2-lite (DeepSeek-V2-Lite's shapes, 15.7 B parameters, 31 GB)
                       or r1 (DeepSeek-V3/R1's, 671 B parameters, 1.3 TB: only with --sparse)
              --sparse metadata and tensor table only; the weights are a hole of the right length (no disk)
              --seed   seed of the random weights (default 42)""";
}
