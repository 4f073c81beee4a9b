package dev.jseek.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufMetadata;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufTensorInfo;
import dev.jseek.gguf.GgufWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Needs llama.cpp's models/ggml-vocab-deepseek-llm.gguf, from system property {@code jseek.vocab} or
 * environment variable {@code JSEEK_VOCAB}; skipped without it.
 */
class TinyDeepSeekTest {
    static final String A = "deepseek2.";

    @TempDir
    static Path dir;
    static Path vocab;
    static Path model;

    static Optional<Path> vocabPath() {
        return TestVocab.path();
    }

    @BeforeAll
    static void writeDefaultModel() throws IOException {
        vocab = vocabPath().orElse(null);
        if (vocab != null) {
            model = dir.resolve("tiny.gguf");
            TinyDeepSeek.write(vocab, model, TinyDeepSeek.Config.defaults());
        }
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
        assumeTrue(vocab != null, "set -Djseek.vocab or JSEEK_VOCAB to llama.cpp's ggml-vocab-deepseek-llm.gguf");
        Path again = dir.resolve("again.gguf");
        Path otherSeed = dir.resolve("seed43.gguf");
        TinyDeepSeek.write(vocab, again, TinyDeepSeek.Config.defaults());
        TinyDeepSeek.write(vocab, otherSeed, TinyDeepSeek.Config.defaults().withSeed(43));
        byte[] first = Files.readAllBytes(model);
        assertArrayEquals(first, Files.readAllBytes(again));
        byte[] other = Files.readAllBytes(otherSeed);
        assertEquals(first.length, other.length);
        assertFalse(java.util.Arrays.equals(first, other));
    }

    @Test
    void metadataAgreesWithTensorsAndVocab() throws IOException {
        assumeTrue(vocab != null, "set -Djseek.vocab or JSEEK_VOCAB to llama.cpp's ggml-vocab-deepseek-llm.gguf");
        GgufFile gguf = GgufReader.read(model);
        GgufMetadata m = gguf.metadata();
        GgufMetadata v = GgufReader.read(vocab).metadata();
        var cfg = TinyDeepSeek.Config.defaults();

        assertTrue(Files.size(model) < 40_000_000, "small: " + Files.size(model));
        assertEquals("deepseek2", m.getString("general.architecture"));
        assertEquals("jseek tiny DeepSeek-R1 (random weights)", m.getString("general.name"));

        // vocabulary: the vocab's tokens, then the four markers as control tokens
        List<String> tokens = m.getStringArray("tokenizer.ggml.tokens");
        List<String> vocabTokens = v.getStringArray("tokenizer.ggml.tokens");
        int n = vocabTokens.size();
        assertEquals(vocabTokens, tokens.subList(0, n));
        assertEquals(TinyDeepSeek.CHAT_MARKERS, tokens.subList(n, tokens.size()));
        int[] types = m.getIntArray("tokenizer.ggml.token_type");
        assertEquals(tokens.size(), types.length);
        assertArrayEquals(new int[] {3, 3, 3, 3}, java.util.Arrays.copyOfRange(types, n, n + 4));
        assertEquals(tokens.size(), m.getInt(A + "vocab_size"));
        assertEquals(tokens.size(), gguf.tensor("token_embd.weight").dimension(1));
        assertEquals(tokens.size(), gguf.tensor("output.weight").dimension(1));
        for (String key : v.asMap().keySet()) {
            if (key.startsWith("tokenizer.") && !key.equals("tokenizer.ggml.tokens") && !key.equals("tokenizer.ggml.token_type")) {
                assertEquals(v.get(key), m.get(key), key);
            }
        }
        int eos = m.getInt("tokenizer.ggml.eos_token_id");
        assertEquals("<\uFF5Cend\u2581of\u2581sentence\uFF5C>", tokens.get(eos));
        String template = m.getString("tokenizer.chat_template");
        for (String marker : List.of("<\uFF5CUser\uFF5C>", "<\uFF5CAssistant\uFF5C>", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>")) {
            assertTrue(template.contains(marker), "llama.cpp detects deepseek3 by " + marker);
        }

        // hyperparameters as llama.cpp's deepseek2 loader reads them, and shapes that match them
        int embd = m.getInt(A + "embedding_length");
        int heads = m.getInt(A + "attention.head_count");
        int kvLora = m.getInt(A + "attention.kv_lora_rank");
        int rope = m.getInt(A + "rope.dimension_count");
        int keyMla = m.getInt(A + "attention.key_length_mla");
        int valueMla = m.getInt(A + "attention.value_length_mla");
        int experts = m.getInt(A + "expert_count");
        int ffExp = m.getInt(A + "expert_feed_forward_length");
        assertEquals(1, m.getInt(A + "attention.head_count_kv"));
        assertEquals(kvLora + rope, m.getInt(A + "attention.key_length"));
        assertEquals(kvLora, m.getInt(A + "attention.value_length"));
        assertEquals(cfg.qkNopeHeadDim() + rope, keyMla);
        int blocks = m.getInt(A + "block_count");
        assertFalse(blocks == 26 || blocks == 27, "not lite");
        assertEquals(2, m.getInt(A + "expert_gating_func"));
        assertTrue(m.getBool(A + "expert_weights_norm"));

        int qLora = m.getInt(A + "attention.q_lora_rank");
        int nope = keyMla - rope;
        int dense = m.getInt(A + "leading_dense_block_count");
        int expected = 1 + 2 + blocks * 10 + dense * 3 + (blocks - dense) * 8;
        assertEquals(expected, gguf.tensors().size());
        for (int i = 0; i < blocks; i++) {
            String b = "blk." + i + ".";
            assertShape(gguf, b + "attn_q_a.weight", embd, qLora);
            assertShape(gguf, b + "attn_q_b.weight", qLora, heads * keyMla);
            assertShape(gguf, b + "attn_kv_a_mqa.weight", embd, kvLora + rope);
            assertShape(gguf, b + "attn_k_b.weight", nope, kvLora, heads);
            assertShape(gguf, b + "attn_v_b.weight", kvLora, valueMla, heads);
            assertShape(gguf, b + "attn_output.weight", heads * valueMla, embd);
            assertShape(gguf, b + "attn_q_a_norm.weight", qLora);
            assertShape(gguf, b + "attn_kv_a_norm.weight", kvLora);
            if (i < dense) {
                assertShape(gguf, b + "ffn_up.weight", embd, m.getInt(A + "feed_forward_length"));
            } else {
                assertShape(gguf, b + "ffn_gate_inp.weight", embd, experts);
                assertShape(gguf, b + "exp_probs_b.bias", experts);
                assertShape(gguf, b + "ffn_gate_exps.weight", embd, ffExp, experts);
                assertShape(gguf, b + "ffn_down_exps.weight", ffExp, embd, experts);
                assertShape(gguf, b + "ffn_up_shexp.weight", embd, ffExp * m.getInt(A + "expert_shared_count"));
                assertEquals(GgmlType.F32, gguf.tensor(b + "ffn_gate_inp.weight").type());
            }
        }
        for (GgufTensorInfo t : gguf.tensors()) {
            boolean f32 = t.dimensions() == 1 || t.name().endsWith("ffn_gate_inp.weight");
            assertEquals(f32 ? GgmlType.F32 : GgmlType.F16, t.type(), t.name());
        }
        float[] norm = gguf.readTensorFloats("blk.1.attn_norm.weight");
        for (float x : norm) {
            assertEquals(1f, x);
        }
    }

    private static void assertShape(GgufFile gguf, String name, long... shape) throws IOException {
        assertArrayEquals(shape, gguf.tensor(name).shape(), name);
    }

    @Test
    void configRejectsWhatLlamaCppWouldMisread() {
        var d = TinyDeepSeek.Config.defaults();
        assertThrows(IllegalArgumentException.class, () -> withBlocks(d, 27, 1), "lite");
        assertThrows(IllegalArgumentException.class, () -> withBlocks(d, 2, 2), "no MoE block left");
        assertEquals(28, withBlocks(d, 28, 3).blockCount());
        assertThrows(IllegalArgumentException.class, () -> new TinyDeepSeek.Config(64, 3, 1, 4, 48, 32, 16, 7, 16, 128,
                32, 8, 2, 1, 4, 2, 2.5f, true, 4096, 1e4f, 4f, 1024, 1e-6f, 1), "odd rope dim");
        assertThrows(IllegalArgumentException.class, () -> new TinyDeepSeek.Config(64, 3, 1, 4, 48, 32, 16, 8, 16, 128,
                32, 8, 2, 1, 3, 2, 2.5f, true, 4096, 1e4f, 4f, 1024, 1e-6f, 1), "groups do not divide experts");
        assertThrows(IllegalArgumentException.class, () -> new TinyDeepSeek.Config(64, 3, 1, 4, 48, 32, 16, 8, 16, 128,
                32, 8, 6, 1, 4, 2, 2.5f, true, 4096, 1e4f, 4f, 1024, 1e-6f, 1), "more experts used than the groups hold");
        assertEquals(43, d.withSeed(43).seed());
        assertThrows(IllegalArgumentException.class, () -> withBlocks(TinyDeepSeek.Config.v2LiteShape(), 28, 1),
                "no q_lora outside 26/27 blocks");
    }

    @Test
    void aStreamedCopyOfTheModelIsByteIdentical() throws IOException {
        assumeTrue(model != null);
        Path copy = dir.resolve("copy.gguf");
        GgufWriter.copyOf(GgufReader.read(model)).write(copy);
        assertArrayEquals(Files.readAllBytes(model), Files.readAllBytes(copy));
    }

    @Test
    void aSparseFileIsTheFullOneWithItsWeightsLeftOut() throws IOException {
        assumeTrue(model != null);
        Path sparse = dir.resolve("sparse.gguf");
        TinyDeepSeek.writeSparse(vocab, sparse, TinyDeepSeek.Config.defaults());
        GgufFile full = GgufReader.read(model);
        GgufFile header = GgufReader.read(sparse);
        assertEquals(Files.size(model), Files.size(sparse));
        assertEquals(full.tensors(), header.tensors());
        assertEquals(TinyDeepSeek.SPARSE_NAME, header.metadata().getString("general.name"));
        byte[] data = Files.readAllBytes(sparse);
        for (long i = header.dataOffset(); i < data.length; i++) {
            assertEquals(0, data[(int) i], "byte " + i + " of the weights");
        }
    }

    @Test
    void theR1ShapeHasR1sTensorsAndParameterCount() {
        var plan = DeepSeek2Tensors.plan(TinyDeepSeek.Config.r1Shape(), 129280);
        long parameters = plan.stream().mapToLong(DeepSeek2Tensors.TensorSpec::elementCount).sum();
        // DeepSeek-V3's model card: 671 B main-model parameters (685 B with the MTP module, which this leaves out)
        assertEquals(671e9, parameters, 1e9, "parameters: " + parameters);
        var byName = new java.util.HashMap<String, DeepSeek2Tensors.TensorSpec>();
        plan.forEach(t -> byName.put(t.name(), t));
        assertArrayEquals(new long[] {7168, 1536}, byName.get("blk.0.attn_q_a.weight").shape());
        assertArrayEquals(new long[] {7168, 2048, 256}, byName.get("blk.60.ffn_gate_exps.weight").shape());
        assertArrayEquals(new long[] {7168, 18432}, byName.get("blk.2.ffn_up.weight").shape());
        assertTrue(byName.containsKey("blk.3.exp_probs_b.bias"), "V3's sigmoid router has an expert bias");
    }

    @Test
    void theV2LiteShapeHasV2LitesTensorsAndParameterCount() {
        var cfg = TinyDeepSeek.Config.v2LiteShape();
        var plan = DeepSeek2Tensors.plan(cfg, 102400);
        long parameters = plan.stream().mapToLong(DeepSeek2Tensors.TensorSpec::elementCount).sum();
        // DeepSeek-V2-Lite's model card: 15.7 B total parameters
        assertEquals(15.7e9, parameters, 0.05e9, "parameters: " + parameters);
        var byName = new java.util.HashMap<String, DeepSeek2Tensors.TensorSpec>();
        plan.forEach(t -> byName.put(t.name(), t));
        assertArrayEquals(new long[] {2048, 16 * 192}, byName.get("blk.0.attn_q.weight").shape());
        assertArrayEquals(new long[] {2048, 512 + 64}, byName.get("blk.5.attn_kv_a_mqa.weight").shape());
        assertArrayEquals(new long[] {2048, 1408, 64}, byName.get("blk.26.ffn_gate_exps.weight").shape());
        assertArrayEquals(new long[] {2048, 2 * 1408}, byName.get("blk.26.ffn_up_shexp.weight").shape());
        assertArrayEquals(new long[] {2048, 10944}, byName.get("blk.0.ffn_up.weight").shape());
        assertFalse(byName.containsKey("blk.1.attn_q_a.weight"));
        assertFalse(byName.containsKey("blk.1.exp_probs_b.bias"), "V2's softmax router has no expert bias");
    }

    @Test
    void generatedChunksAreTheSameWhateverTheOrder() {
        var filler = new UniformF16(42, "blk.1.ffn_up_exps.weight", 0.02);
        var first = java.nio.ByteBuffer.allocate(1 << 12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        var again = java.nio.ByteBuffer.allocate(1 << 12).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        filler.fill(7, first);
        filler.fill(3, java.nio.ByteBuffer.allocate(64));
        filler.fill(7, again);
        assertEquals(first.flip(), again.flip());
        double sum = 0;
        double sumSquares = 0;
        var halves = first.asShortBuffer();
        int n = halves.remaining();
        for (int i = 0; i < n; i++) {
            float x = Float.float16ToFloat(halves.get(i));
            sum += x;
            sumSquares += x * x;
        }
        assertEquals(0, sum / n, 0.002);
        assertEquals(0.02, Math.sqrt(sumSquares / n), 0.001, "same spread as the Gaussian it replaces");
    }

    private static TinyDeepSeek.Config withBlocks(TinyDeepSeek.Config d, int blocks, int dense) {
        return new TinyDeepSeek.Config(d.embeddingLength(), blocks, dense, d.headCount(),
                d.qLoraRank(), d.kvLoraRank(), d.qkNopeHeadDim(), d.qkRopeHeadDim(), d.vHeadDim(), d.feedForwardLength(),
                d.expertFeedForwardLength(), d.expertCount(), d.expertUsedCount(), d.expertSharedCount(),
                d.expertGroupCount(), d.expertGroupUsedCount(), d.expertWeightsScale(), d.sigmoidGating(), d.contextLength(),
                d.ropeFreqBase(), d.yarnFactor(), d.yarnOriginalContextLength(), d.rmsNormEps(), d.seed());
    }
}
