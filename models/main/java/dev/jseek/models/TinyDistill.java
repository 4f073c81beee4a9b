package dev.jseek.models;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufArray;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufValue;
import dev.jseek.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Writes a tiny GGUF of one of the DeepSeek-R1-Distill families with random weights: dense transformers that
 * llama.cpp runs as {@code qwen2} (R1-Distill-Qwen 1.5B to 32B, on Qwen2.5), {@code llama} (R1-Distill-Llama 8B
 * and 70B, on Llama 3.1/3.3) and {@code qwen3} (R1-0528-Qwen3-8B). The tokenizer is the base model's real one
 * (llama.cpp's vocab file) with DeepSeek's markers appended as control tokens, BOS and EOS set to DeepSeek's
 * sentence markers, and the release's chat template, as the distilled releases do; the output is noise.
 *
 * <p>Same vocab, config and seed give a byte-identical file. To write one by hand (after {@code ./mvnw -pl models
 * compile}; the vocab files are in llama.cpp's models/ and in the native build's vocab/ directory):
 * <pre>
 * java -cp models/target/classes dev.jseek.models.TinyDistill --family qwen2 \
 *     --vocab ~/.cache/jseek/src/llama.cpp-v0.5.0/models/ggml-vocab-qwen2.gguf --out qwen2.gguf
 * </pre>
 */
public final class TinyDistill {
    // U+FF5C FULLWIDTH VERTICAL LINE and U+2581 LOWER ONE EIGHTH BLOCK, as in DeepSeek's own special tokens
    static final String BEGIN_OF_SENTENCE = "<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>";
    static final String END_OF_SENTENCE = "<\uFF5Cend\u2581of\u2581sentence\uFF5C>";

    /**
     * Every marker the R1-Distill templates write, in the order appended to the vocab: the sentence markers
     * (BOS, EOS), the turn markers, the thinking markers and the tool-call markers.
     */
    public static final List<String> CHAT_MARKERS = List.of(BEGIN_OF_SENTENCE, END_OF_SENTENCE, R1Tokenizer.USER,
            R1Tokenizer.ASSISTANT, R1Tokenizer.THINK, R1Tokenizer.END_THINK,
            marker("tool\u2581calls\u2581begin"), marker("tool\u2581calls\u2581end"),
            marker("tool\u2581call\u2581begin"), marker("tool\u2581call\u2581end"), marker("tool\u2581sep"),
            marker("tool\u2581outputs\u2581begin"), marker("tool\u2581outputs\u2581end"),
            marker("tool\u2581output\u2581begin"), marker("tool\u2581output\u2581end"));

    private static final int FILE_TYPE_MOSTLY_F16 = 1;
    private static final int QUANTIZATION_VERSION = 2;
    // Llama 3.1's rope_scaling (R1-Distill-Llama-8B's config.json): rope_type llama3
    private static final double LLAMA3_FACTOR = 8;
    private static final double LLAMA3_LOW_FREQ_FACTOR = 1;
    private static final double LLAMA3_HIGH_FREQ_FACTOR = 4;
    private static final double LLAMA3_ORIGINAL_CONTEXT = 8192;

    private TinyDistill() {
    }

    private static String marker(String name) {
        return "<\uFF5C" + name + "\uFF5C>";
    }

    /** A distilled family: the architecture llama.cpp runs it as, its base tokenizer and its chat template. */
    public enum Family {
        /** DeepSeek-R1-Distill-Qwen-1.5B/7B/14B/32B (Qwen2.5): q, k and v projections with biases. */
        QWEN2("qwen2", "ggml-vocab-qwen2.gguf", "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja"),
        /** DeepSeek-R1-Distill-Llama-8B/70B (Llama 3.1/3.3): no biases, Llama 3 RoPE scaling as rope_freqs. */
        LLAMA("llama", "ggml-vocab-llama-bpe.gguf", "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja"),
        /**
         * DeepSeek-R1-0528-Qwen3-8B (Qwen3): RMS norms on each head's q and k, no biases. The pinned llama.cpp has
         * no template of this release, so it gets the R1-Distill-Qwen one (same markers, same {@code <think>} pre-fill).
         */
        QWEN3("qwen3", "ggml-vocab-qwen2.gguf", "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja");

        private final String architecture;
        private final String vocabFile;
        private final String templateResource;

        Family(String architecture, String vocabFile, String templateResource) {
            this.architecture = architecture;
            this.vocabFile = vocabFile;
            this.templateResource = templateResource;
        }

        /** {@code general.architecture}: the name llama.cpp loads it by. */
        public String architecture() {
            return architecture;
        }

        /** The file name of the base model's tokenizer in llama.cpp's models/ directory. */
        public String vocabFile() {
            return vocabFile;
        }

        /** The chat template written into the model (a file of llama.cpp's models/templates). */
        public String templateFile() {
            return templateResource;
        }

        public static Family of(String architecture) {
            for (Family f : values()) {
                if (f.architecture.equals(architecture)) {
                    return f;
                }
            }
            throw new IllegalArgumentException("the family must be qwen2, llama or qwen3, not '" + architecture + "'");
        }
    }

    /**
     * Dimensions and seed. Names follow the base models' config.json.
     *
     * @param family            which distilled family (architecture, tokenizer, template)
     * @param embeddingLength   hidden_size (n_embd)
     * @param blockCount        num_hidden_layers
     * @param headCount         num_attention_heads; the head size is embeddingLength / headCount
     * @param headCountKv       num_key_value_heads (grouped-query attention), dividing headCount
     * @param feedForwardLength intermediate_size
     * @param tiedEmbeddings    tie_word_embeddings: no output tensor, llama.cpp reuses token_embd (R1-Distill-Qwen-1.5B)
     * @param contextLength     max_position_embeddings
     * @param ropeFreqBase      rope_theta
     * @param rmsNormEps        rms_norm_eps
     * @param seed              of the random weights
     */
    public record Config(
            Family family,
            int embeddingLength,
            int blockCount,
            int headCount,
            int headCountKv,
            int feedForwardLength,
            boolean tiedEmbeddings,
            int contextLength,
            float ropeFreqBase,
            float rmsNormEps,
            long seed) {

        public Config {
            require(family != null, "family is required");
            require(embeddingLength > 0 && headCount > 0 && headCountKv > 0 && feedForwardLength > 0,
                    "dimensions must be positive");
            require(blockCount > 0 && blockCount <= 512, "blockCount must be in 1..512 (LLAMA_MAX_LAYERS)");
            require(embeddingLength % headCount == 0, "embeddingLength must be a multiple of headCount");
            require(headCount % headCountKv == 0, "headCount must be a multiple of headCountKv (grouped-query attention)");
            require((embeddingLength / headCount) % 2 == 0, "the head size must be even (RoPE rotates pairs)");
            require(contextLength > 0, "contextLength must be positive");
            require(ropeFreqBase > 0 && rmsNormEps > 0, "ropeFreqBase and rmsNormEps must be positive");
        }

        /**
         * The tiny model of a family: n_embd 32, 2 blocks, 4 heads of 8 over 2 KV heads, FFN 64, context 4096,
         * seed 42, with the family's rope_theta and rms_norm_eps; embeddings tied as in R1-Distill-Qwen-1.5B for
         * qwen2, untied as in R1-Distill-Llama-8B and R1-0528-Qwen3-8B. 15.7 MB (qwen2), 24.3 MB (llama) and
         * 25.4 MB (qwen3): the real vocabulary (its strings and merges) and its F16 token_embd (and output).
         */
        public static Config defaults(Family family) {
            return switch (family) {
                case QWEN2 -> new Config(family, 32, 2, 4, 2, 64, true, 4096, 10000f, 1e-6f, 42);
                case LLAMA -> new Config(family, 32, 2, 4, 2, 64, false, 4096, 500000f, 1e-5f, 42);
                case QWEN3 -> new Config(family, 32, 2, 4, 2, 64, false, 4096, 1000000f, 1e-6f, 42);
            };
        }

        public int headDim() {
            return embeddingLength / headCount;
        }

        public Config withSeed(long newSeed) {
            return new Config(family, embeddingLength, blockCount, headCount, headCountKv, feedForwardLength,
                    tiedEmbeddings, contextLength, ropeFreqBase, rmsNormEps, newSeed);
        }

        private static void require(boolean condition, String message) {
            if (!condition) {
                throw new IllegalArgumentException(message);
            }
        }
    }

    /** Writes the model to {@code out}, reading the base tokenizer from {@code vocabGguf} (the family's vocab file). */
    public static void write(Path vocabGguf, Path out, Config cfg) throws IOException {
        write(vocabGguf, out, cfg, message -> { });
    }

    /** As {@link #write(Path, Path, Config)}, telling {@code progress} what it is doing. */
    public static void write(Path vocabGguf, Path out, Config cfg, Consumer<String> progress) throws IOException {
        progress.accept("reading the tokenizer from " + vocabGguf);
        GgufFile vocab = GgufReader.read(vocabGguf);
        R1Tokenizer.Extended tokenizer = R1Tokenizer.extend(vocab.metadata(), CHAT_MARKERS, cfg.family().templateResource);
        List<String> tokens = ((GgufArray) tokenizer.metadata().get(R1Tokenizer.TOKENS)).strings();
        // as the R1-Distill GGUFs: DeepSeek's sentence markers are BOS and EOS, and BOS is added
        tokenizer.metadata().put("tokenizer.ggml.bos_token_id", GgufValue.Int.uint32(tokens.indexOf(BEGIN_OF_SENTENCE)));
        tokenizer.metadata().put("tokenizer.ggml.eos_token_id", GgufValue.Int.uint32(tokens.indexOf(END_OF_SENTENCE)));
        tokenizer.metadata().put("tokenizer.ggml.add_bos_token", new GgufValue.Bool(true));

        var writer = new GgufWriter();
        putGeneral(writer, cfg);
        putHyperparameters(writer, cfg, tokenizer.tokenCount());
        writer.putAll(tokenizer.metadata());

        List<DeepSeek2Tensors.TensorSpec> tensors = plan(cfg, tokenizer.tokenCount());
        progress.accept("generating " + tensors.size() + " tensors for " + tokenizer.tokenCount() + " tokens, seed " + cfg.seed());
        for (var spec : tensors) {
            writer.addTensor(spec.name(), spec.type(), spec.shape(), values(spec, cfg.seed()));
        }
        if (cfg.family() == Family.LLAMA) {
            writer.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {cfg.headDim() / 2}, llama3RopeFactors(cfg));
        }
        progress.accept("writing " + out);
        writer.write(out);
    }

    private static void putGeneral(GgufWriter w, Config cfg) {
        String family = cfg.family().architecture();
        w.putString("general.architecture", family);
        w.putString("general.type", "model");
        w.putString("general.name", "jseek tiny DeepSeek-R1-Distill " + family + " (random weights)");
        w.putString("general.basename", "jseek-tiny-deepseek-r1-distill-" + family);
        w.putString("general.description",
                "Random weights in the " + family + " architecture of a DeepSeek-R1-Distill model, for testing runtimes; it does not speak.");
        w.putUInt32("general.file_type", FILE_TYPE_MOSTLY_F16);
        w.putUInt32("general.quantization_version", QUANTIZATION_VERSION);
    }

    // keys and types as convert_hf_to_gguf.py writes them (Qwen2Model, LlamaModel, Qwen3Model)
    private static void putHyperparameters(GgufWriter w, Config c, int vocabSize) {
        String a = c.family().architecture() + ".";
        w.putUInt32(a + "block_count", c.blockCount());
        w.putUInt32(a + "context_length", c.contextLength());
        w.putUInt32(a + "embedding_length", c.embeddingLength());
        w.putUInt32(a + "feed_forward_length", c.feedForwardLength());
        w.putUInt32(a + "attention.head_count", c.headCount());
        w.putUInt32(a + "attention.head_count_kv", c.headCountKv());
        w.putFloat32(a + "rope.freq_base", c.ropeFreqBase());
        w.putFloat32(a + "attention.layer_norm_rms_epsilon", c.rmsNormEps());
        switch (c.family()) {
            case LLAMA -> {
                w.putUInt32(a + "vocab_size", vocabSize);
                w.putUInt32(a + "rope.dimension_count", c.headDim());
            }
            case QWEN3 -> {
                w.putUInt32(a + "attention.key_length", c.headDim());
                w.putUInt32(a + "attention.value_length", c.headDim());
            }
            case QWEN2 -> {
            }
        }
    }

    /**
     * The tensor table of llama.cpp's loaders (src/models/qwen2.cpp, llama.cpp, qwen3.cpp: load_arch_tensors), as
     * convert_hf_to_gguf writes it with {@code --outtype f16}: matrices F16, 1-D tensors F32. Shapes in ggml order.
     */
    static List<DeepSeek2Tensors.TensorSpec> plan(Config c, int vocabSize) {
        long embd = c.embeddingLength();
        long q = (long) c.headCount() * c.headDim();
        long kv = (long) c.headCountKv() * c.headDim();
        long ff = c.feedForwardLength();
        var t = new ArrayList<DeepSeek2Tensors.TensorSpec>();
        t.add(matrix("token_embd.weight", embd, vocabSize));
        for (int i = 0; i < c.blockCount(); i++) {
            String blk = "blk." + i + ".";
            t.add(vector(blk + "attn_norm.weight", embd, DeepSeek2Tensors.Init.ONE));
            t.add(matrix(blk + "attn_q.weight", embd, q));
            t.add(matrix(blk + "attn_k.weight", embd, kv));
            t.add(matrix(blk + "attn_v.weight", embd, kv));
            if (c.family() == Family.QWEN2) {
                t.add(vector(blk + "attn_q.bias", q, DeepSeek2Tensors.Init.BIAS));
                t.add(vector(blk + "attn_k.bias", kv, DeepSeek2Tensors.Init.BIAS));
                t.add(vector(blk + "attn_v.bias", kv, DeepSeek2Tensors.Init.BIAS));
            }
            if (c.family() == Family.QWEN3) {
                t.add(vector(blk + "attn_q_norm.weight", c.headDim(), DeepSeek2Tensors.Init.ONE));
                t.add(vector(blk + "attn_k_norm.weight", c.headDim(), DeepSeek2Tensors.Init.ONE));
            }
            t.add(matrix(blk + "attn_output.weight", q, embd));
            t.add(vector(blk + "ffn_norm.weight", embd, DeepSeek2Tensors.Init.ONE));
            t.add(matrix(blk + "ffn_gate.weight", embd, ff));
            t.add(matrix(blk + "ffn_down.weight", ff, embd));
            t.add(matrix(blk + "ffn_up.weight", embd, ff));
        }
        t.add(vector("output_norm.weight", embd, DeepSeek2Tensors.Init.ONE));
        if (!c.tiedEmbeddings()) {
            t.add(matrix("output.weight", embd, vocabSize));
        }
        return t;
    }

    private static DeepSeek2Tensors.TensorSpec matrix(String name, long... shape) {
        return new DeepSeek2Tensors.TensorSpec(name, GgmlType.F16, shape, DeepSeek2Tensors.Init.WEIGHT);
    }

    private static DeepSeek2Tensors.TensorSpec vector(String name, long length, DeepSeek2Tensors.Init init) {
        return new DeepSeek2Tensors.TensorSpec(name, GgmlType.F32, new long[] {length}, init);
    }

    private static float[] values(DeepSeek2Tensors.TensorSpec spec, long seed) {
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

    /** Llama 3.1's RoPE frequency factors, as convert_hf_to_gguf.py (LlamaModel.generate_extra_tensors) computes them. */
    static float[] llama3RopeFactors(Config c) {
        int dim = c.headDim();
        double lowFreqWavelen = LLAMA3_ORIGINAL_CONTEXT / LLAMA3_LOW_FREQ_FACTOR;
        double highFreqWavelen = LLAMA3_ORIGINAL_CONTEXT / LLAMA3_HIGH_FREQ_FACTOR;
        float[] factors = new float[dim / 2];
        for (int i = 0; i < factors.length; i++) {
            double freq = 1 / Math.pow(c.ropeFreqBase(), 2.0 * i / dim);
            double wavelen = 2 * Math.PI / freq;
            if (wavelen < highFreqWavelen) {
                factors[i] = 1;
            } else if (wavelen > lowFreqWavelen) {
                factors[i] = (float) LLAMA3_FACTOR;
            } else {
                double smooth = (LLAMA3_ORIGINAL_CONTEXT / wavelen - LLAMA3_LOW_FREQ_FACTOR)
                        / (LLAMA3_HIGH_FREQ_FACTOR - LLAMA3_LOW_FREQ_FACTOR);
                factors[i] = (float) (1 / ((1 - smooth) / LLAMA3_FACTOR + smooth));
            }
        }
        return factors;
    }

    /** {@code --family qwen2|llama|qwen3 --vocab PATH --out PATH [--seed N]}: writes the family's tiny model. */
    public static void main(String... args) {
        command().run(args);
    }

    static GeneratorCommand<Config> command() {
        java.util.Map<String, Config> families = new java.util.LinkedHashMap<>();
        for (Family f : Family.values()) {
            families.put(f.architecture(), Config.defaults(f));
        }
        return new GeneratorCommand<>("tiny-distill", USAGE, "--family", families, null, false, Config::withSeed, c -> null,
                (vocab, out, c, sparse) -> write(vocab, out, c, message -> System.err.println("tiny-distill: " + message)));
    }

    private static final String USAGE = """
            usage: TinyDistill --family qwen2|llama|qwen3 --vocab PATH --out PATH [--seed N]
              --family qwen2 (R1-Distill-Qwen), llama (R1-Distill-Llama) or qwen3 (R1-0528-Qwen3)
              --vocab  the base tokenizer from llama.cpp's models/: ggml-vocab-qwen2.gguf for qwen2 and qwen3,
                       ggml-vocab-llama-bpe.gguf for llama
              --out    where to write the model (16 to 26 MB)
              --seed   seed of the random weights (default 42)""";
}
