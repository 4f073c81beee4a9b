package dev.jseek.models;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a tiny DeepSeek-V3.2-architecture GGUF with random weights: llama.cpp's {@code deepseek32} architecture
 * (src/models/deepseek32.cpp), which is {@link TinyDeepSeek}'s deepseek2 layout (low-rank q, MLA stored split,
 * dense then MoE blocks with V3's sigmoid router) plus DeepSeek Sparse Attention: a lightning indexer per block
 * scores every cached token and the MLA attends only to the {@code top_k} best. The tokenizer is DeepSeek's with the
 * R1 markers, the chat template V3.2's own (llama.cpp models/templates/deepseek-ai-DeepSeek-V3.2.jinja).
 *
 * <p>Same vocab, config and seed give a byte-identical file.
 */
public final class TinyDeepSeek32 {
    public static final String ARCHITECTURE = "deepseek32";
    public static final String MODEL_NAME = "jseek tiny DeepSeek-V3.2 (random weights)";
    private static final String TEMPLATE_RESOURCE = "deepseek-ai-DeepSeek-V3.2.jinja";

    private TinyDeepSeek32() {
    }

    /**
     * The deepseek2 dimensions and the indexer's. Names follow DeepSeek-V3.2's config.json.
     *
     * @param base             the MLA/MoE dimensions and the seed; must have a q_lora (deepseek32 has no lite form)
     * @param indexerHeadCount index_n_heads
     * @param indexerKeyLength index_head_dim: the indexer's key is [rope | nope], so at least qk_rope_head_dim, and a
     *                         power of two of at least 64 (the Hadamard rotation llama.cpp applies to it)
     * @param indexerTopK      index_topk: how many cached tokens each query attends to
     */
    public record Config(TinyDeepSeek.Config base, int indexerHeadCount, int indexerKeyLength, int indexerTopK) {
        public Config {
            require(base != null, "base must be given");
            require(!base.lite(), "deepseek32 needs a q_lora (qLoraRank > 0): the indexer's query is projected from it");
            require(indexerHeadCount > 0, "indexerHeadCount must be positive");
            // deepseek32.cpp: GGML_ASSERT(hparams.n_rot() <= n_embd_indexer_head)
            require(indexerKeyLength >= base.qkRopeHeadDim(),
                    "indexerKeyLength must be at least qkRopeHeadDim: the indexer key starts with the rotated part");
            // llama_kv_cache::build_input_k_rot: the indexer's Hadamard rotation is as wide as the largest power of two
            // (64 or more) dividing the key length, and is multiplied with the whole key
            require(indexerKeyLength >= 64 && Integer.bitCount(indexerKeyLength) == 1,
                    "indexerKeyLength must be a power of two, at least 64: the width of the indexer's Hadamard rotation");
            require(indexerTopK > 0, "indexerTopK must be positive");
        }

        /**
         * About 31 MB: {@link TinyDeepSeek.Config#defaults()} (n_embd 64, 3 blocks, q_lora 48, kv_lora 32, qk_rope 8,
         * 8 experts of which 2 used) plus an indexer of 4 heads of 64 with top-k 8, so that any prompt longer than 8
         * tokens runs the sparse path: each query sees only 8 of the cached tokens.
         */
        public static Config defaults() {
            return new Config(TinyDeepSeek.Config.defaults(), 4, 64, 8);
        }

        /** DeepSeek-V3.2's indexer (64 heads of 128, top-k 2048) on R1's shapes: written only as a sparse file. */
        public static Config v32Shape() {
            return new Config(TinyDeepSeek.Config.r1Shape(), 64, 128, 2048);
        }

        public Config withSeed(long seed) {
            return new Config(base.withSeed(seed), indexerHeadCount, indexerKeyLength, indexerTopK);
        }

        private static void require(boolean condition, String message) {
            if (!condition) {
                throw new IllegalArgumentException(message);
            }
        }
    }

    /** Writes the model to {@code out}, reading the tokenizer from {@code vocabGguf}. */
    public static void write(Path vocabGguf, Path out, Config cfg) throws IOException {
        GgufFile vocab = GgufReader.read(vocabGguf);
        R1Tokenizer.Extended tokenizer = R1Tokenizer.extend(vocab.metadata(), R1Tokenizer.CHAT_MARKERS, TEMPLATE_RESOURCE);
        var writer = new GgufWriter();
        putMetadata(writer, cfg, tokenizer);
        for (var spec : plan(cfg, tokenizer.tokenCount())) {
            writer.addTensor(spec.name(), spec.type(), spec.shape(), TinyDeepSeek.values(spec, cfg.base().seed()));
        }
        writer.write(out);
    }

    /** As {@link TinyDeepSeek#writeSparse}: metadata and tensor table, the weights a hole of the right length. */
    public static void writeSparse(Path vocabGguf, Path out, Config cfg) throws IOException {
        R1Tokenizer.Extended tokenizer = R1Tokenizer.extend(GgufReader.read(vocabGguf).metadata(),
                R1Tokenizer.CHAT_MARKERS, TEMPLATE_RESOURCE);
        var writer = new GgufWriter();
        putMetadata(writer, cfg, tokenizer);
        for (var spec : plan(cfg, tokenizer.tokenCount())) {
            writer.addGeneratedTensor(spec.name(), spec.type(), spec.shape(), UniformF16.CHUNK_BYTES, (index, chunk) -> {
                throw new AssertionError("a sparse file's weights are never made");
            });
        }
        writer.writeSparse(out);
    }

    private static void putMetadata(GgufWriter w, Config cfg, R1Tokenizer.Extended tokenizer) {
        w.putString("general.architecture", ARCHITECTURE);
        w.putString("general.type", "model");
        w.putString("general.name", MODEL_NAME);
        w.putString("general.basename", "jseek-tiny-deepseek-v3.2");
        w.putString("general.description",
                "Random weights in the DeepSeek-V3.2 architecture (sparse attention), for testing runtimes; it does not speak.");
        w.putUInt32("general.file_type", 1); // LLAMA_FTYPE_MOSTLY_F16
        w.putUInt32("general.quantization_version", 2);
        TinyDeepSeek.putHyperparameters(w, cfg.base(), tokenizer.tokenCount(), ARCHITECTURE);
        String a = ARCHITECTURE + ".attention.indexer.";
        w.putUInt32(a + "head_count", cfg.indexerHeadCount());
        w.putUInt32(a + "key_length", cfg.indexerKeyLength());
        w.putUInt32(a + "top_k", cfg.indexerTopK());
        w.putAll(tokenizer.metadata());
    }

    /** deepseek2's tensors with each block's indexer after its ffn_norm, as deepseek32.cpp load_arch_tensors lists them. */
    static List<DeepSeek2Tensors.TensorSpec> plan(Config cfg, int vocabSize) {
        long embd = cfg.base().embeddingLength();
        long keyLength = cfg.indexerKeyLength();
        var t = new ArrayList<DeepSeek2Tensors.TensorSpec>();
        for (var spec : DeepSeek2Tensors.plan(cfg.base(), vocabSize)) {
            t.add(spec);
            if (spec.name().endsWith(".ffn_norm.weight")) {
                String blk = spec.name().substring(0, spec.name().length() - "ffn_norm.weight".length());
                t.add(new DeepSeek2Tensors.TensorSpec(blk + "indexer.k_norm.weight", GgmlType.F32, new long[] {keyLength},
                        DeepSeek2Tensors.Init.ONE));
                t.add(new DeepSeek2Tensors.TensorSpec(blk + "indexer.k_norm.bias", GgmlType.F32, new long[] {keyLength},
                        DeepSeek2Tensors.Init.BIAS));
                t.add(matrix(blk + "indexer.proj.weight", embd, cfg.indexerHeadCount()));
                t.add(matrix(blk + "indexer.attn_k.weight", embd, keyLength));
                t.add(matrix(blk + "indexer.attn_q_b.weight", cfg.base().qLoraRank(), cfg.indexerHeadCount() * keyLength));
            }
        }
        return t;
    }

    private static DeepSeek2Tensors.TensorSpec matrix(String name, long... shape) {
        return new DeepSeek2Tensors.TensorSpec(name, GgmlType.F16, shape, DeepSeek2Tensors.Init.WEIGHT);
    }

    /** {@code --vocab PATH --out PATH [--shape tiny|v32] [--sparse] [--seed N]}. */
    public static void main(String... args) {
        command().run(args);
    }

    static GeneratorCommand<Config> command() {
        return new GeneratorCommand<>("tiny-deepseek32", USAGE, "--shape",
                GeneratorCommand.shapes(java.util.Map.entry("tiny", Config.defaults()), java.util.Map.entry("v32", Config.v32Shape())), "tiny", true, Config::withSeed,
                c -> c.base().blockCount() == TinyDeepSeek.Config.r1Shape().blockCount() ? "1.3 TB of weights" : null,
                (vocab, out, c, sparse) -> {
                    if (sparse) {
                        writeSparse(vocab, out, c);
                    } else {
                        write(vocab, out, c);
                    }
                });
    }

    private static final String USAGE = """
            usage: TinyDeepSeek32 --vocab PATH --out PATH [--shape tiny|v32] [--sparse] [--seed N]
              --vocab  a DeepSeek vocab GGUF, e.g. llama.cpp's models/ggml-vocab-deepseek-llm.gguf
              --out    where to write the model
              --shape  tiny (31 MB, indexer top-k 8, the default) or v32 (V3.2's shapes: only with --sparse)
              --sparse metadata and tensor table only; the weights are a hole of the right length (no disk)
              --seed   seed of the random weights (default 42)""";
}
