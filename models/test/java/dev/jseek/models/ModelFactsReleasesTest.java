package dev.jseek.models;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufArray;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * `jseek info` on each DeepSeek release: V3.2, V4 / V4-Flash, R1 / R1-0528 and every R1-Distill, named by shape with the
 * figures of llama.cpp v0.5.0's model-type tables, with the attention kind and a KV estimate only where it is backed.
 */
class ModelFactsReleasesTest {
    private static final String R1_TEMPLATE = "{% for m in messages %}<｜User｜>{{m}}<｜Assistant｜>{% endfor %}<｜end▁of▁sentence｜>{{'<｜Assistant｜><think>\\n'}}";

    @TempDir
    Path dir;

    private ModelFacts facts(String arch, String name, int layers, int embedding, int heads, UnaryOperator<GgufWriter> more)
            throws IOException {
        Path file = dir.resolve(name.replaceAll("\\W", "_") + ".gguf");
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", arch)
                .putString("general.name", name)
                .putUInt32(arch + ".block_count", layers)
                .putUInt32(arch + ".embedding_length", embedding)
                .putUInt32(arch + ".attention.head_count", heads)
                .putString("tokenizer.chat_template", R1_TEMPLATE)
                .addTensor("token_embd.weight", GgmlType.F32, new long[] {8, 2}, new float[16]);
        more.apply(w).write(file);
        return ModelFacts.of(GgufReader.read(file));
    }

    private ModelFacts distill(String arch, String name, int layers, int embedding, int heads, int kvHeads) throws IOException {
        return facts(arch, name, layers, embedding, heads, w -> w.putUInt32(arch + ".attention.head_count_kv", kvHeads));
    }

    /** Layer counts and embeddings of llama.cpp's qwen2 / llama / qwen3 model-type tables; heads from the same files' GGUFs. */
    @Test
    void eachR1DistillIsNamedByLayersAndEmbedding() throws IOException {
        String[][] cases = {
                {"qwen2", "DeepSeek R1 Distill Qwen 1.5B", "28", "1536", "12", "2", "DeepSeek-R1-Distill-Qwen-1.5B"},
                {"qwen2", "DeepSeek R1 Distill Qwen 7B", "28", "3584", "28", "4", "DeepSeek-R1-Distill-Qwen-7B"},
                {"qwen2", "DeepSeek R1 Distill Qwen 14B", "48", "5120", "40", "8", "DeepSeek-R1-Distill-Qwen-14B"},
                {"qwen2", "DeepSeek R1 Distill Qwen 32B", "64", "5120", "40", "8", "DeepSeek-R1-Distill-Qwen-32B"},
                {"llama", "DeepSeek R1 Distill Llama 8B", "32", "4096", "32", "8", "DeepSeek-R1-Distill-Llama-8B"},
                {"llama", "DeepSeek R1 Distill Llama 70B", "80", "8192", "64", "8", "DeepSeek-R1-Distill-Llama-70B"},
                {"qwen3", "DeepSeek R1 0528 Qwen3 8B", "36", "4096", "32", "8", "DeepSeek-R1-0528-Qwen3-8B"},
        };
        for (String[] c : cases) {
            ModelFacts f = distill(c[0], c[1], Integer.parseInt(c[2]), Integer.parseInt(c[3]), Integer.parseInt(c[4]),
                    Integer.parseInt(c[5]));
            assertTrue(f.kind().startsWith("R1-Distill: a dense " + c[0]), f.kind());
            assertTrue(f.kind().endsWith("the shape of " + c[6]), f.kind());
            assertEquals("GQA: " + c[4] + " query heads share " + c[5] + " KV heads", f.attention());
            assertTrue(f.kvEstimated());
        }
        String qwen3Of4b = distill("qwen3", "DeepSeek R1 Distill Qwen3 4B", 36, 2560, 32, 8).kind();
        assertTrue(qwen3Of4b.contains("in no R1-Distill release's shape (36 layers, embedding 2560)"), qwen3Of4b);
        String tiny = distill("qwen2", "DeepSeek R1 Distill tiny", 2, 64, 4, 2).kind();
        assertTrue(tiny.contains("in no R1-Distill release's shape") && !tiny.contains("the shape of"), tiny);
    }

    @Test
    void r1AndR1Of0528ShareAShapeSoOnlyTheNameTellsThem() throws IOException {
        String r1 = facts("deepseek2", "DeepSeek R1", 61, 7168, 128, w -> experts(w, "deepseek2", 256)).kind();
        assertTrue(r1.contains("671B") && r1.contains("the name does not say 0528"), r1);
        String r10528 = facts("deepseek2", "DeepSeek-R1-0528", 61, 7168, 128, w -> experts(w, "deepseek2", 256)).kind();
        assertTrue(r10528.contains("R1-0528 (the reasoning model"), r10528);
        assertFalse(r10528.contains("does not say"), r10528);
    }

    /** TinyDeepSeek's R1 shape (61 layers, 256 experts, kv_lora_rank 512, rope 64) written sparse: MLA, latent only. */
    @Test
    void theR1ShapeHasMlaAndCachesTheLatentOnly() throws IOException {
        Path vocab = TestVocab.path().orElse(null);
        assumeTrue(vocab != null, "needs the pinned llama.cpp source");
        Path out = dir.resolve("r1.gguf");
        TinyDeepSeek.writeSparse(vocab, out, TinyDeepSeek.Config.r1Shape());
        ModelFacts f = ModelFacts.of(GgufReader.read(out));
        assertTrue(f.kind().startsWith("DeepSeek-V3/R1 architecture (MoE, MLA): the full 671B model"), f.kind());
        assertEquals("MLA (multi-head latent attention): one compressed latent of 512 + rope dims cached per layer", f.attention());
        assertEquals(2L * 61 * (512 + 64), f.kvBytesPerToken());
        assertEquals(256, f.experts());
        assertEquals(8, f.expertsUsed());
    }

    /**
     * V3.2's shape (TinyDeepSeek32.Config.v32Shape: R1's shape plus a 64-head indexer of 128, top-k 2048), the one
     * llama.cpp's deepseek32 table calls 685B-A37B. The KV cache is llama_kv_cache_dsa's two caches: the MLA latent
     * (512 + 64) and the indexer's keys (128), both K only, per layer.
     */
    @Test
    void theV32ShapeIsDeepSeekV32WithSparseAttentionAndItsIndexerCache() throws IOException {
        Path vocab = TestVocab.path().orElse(null);
        assumeTrue(vocab != null, "needs the pinned llama.cpp source");
        Path out = dir.resolve("v32.gguf");
        TinyDeepSeek32.writeSparse(vocab, out, TinyDeepSeek32.Config.v32Shape());
        ModelFacts f = ModelFacts.of(GgufReader.read(out));
        assertEquals("DeepSeek-V3.2 (MoE, MLA with DeepSeek sparse attention): the full 685B model, 37B active", f.kind());
        assertEquals("MLA (multi-head latent attention) with DSA sparse attention: a lightning indexer (64 heads of 128, "
                + "top-k 2048) picks the tokens each query attends", f.attention());
        assertTrue(f.kvEstimated());
        assertEquals(2L * 61 * (512 + 64 + 128), f.kvBytesPerToken());
        assertEquals(256, f.experts());
        assertTrue(f.activeParameters() < f.parameters() / 10, f.activeParameters() + " of " + f.parameters());
    }

    @Test
    void deepSeek32InAnotherShapeIsNotCalledTheRelease() throws IOException {
        Path vocab = TestVocab.path().orElse(null);
        assumeTrue(vocab != null, "needs the pinned llama.cpp source");
        Path out = dir.resolve("tiny32.gguf");
        TinyDeepSeek32.write(vocab, out, TinyDeepSeek32.Config.defaults());
        ModelFacts f = ModelFacts.of(GgufReader.read(out));
        assertTrue(f.kind().contains("in no DeepSeek release's shape") && f.kind().contains("a small test model"), f.kind());
        assertFalse(f.kind().contains("685B"), f.kind());
    }

    /** V4's keys as TinyDeepSeek4 writes them (src/models/deepseek4.cpp reads them); the KV cache is not estimated. */
    @Test
    void deepSeek4IsFlashAt43LayersAndItsKvCacheIsNotEstimated() throws IOException {
        UnaryOperator<GgufWriter> v4 = w -> experts(w, "deepseek4", 256)
                .putUInt32("deepseek4.attention.head_count_kv", 1)
                .putUInt32("deepseek4.attention.key_length", 512)
                .putUInt32("deepseek4.attention.sliding_window", 128)
                .put("deepseek4.attention.compress_ratios", GgufArray.ofInt32(0, 4, 128, 4))
                .putUInt32("deepseek4.attention.indexer.head_count", 64)
                .putUInt32("deepseek4.attention.indexer.key_length", 128)
                .putUInt32("deepseek4.attention.indexer.top_k", 512);
        ModelFacts flash = facts("deepseek4", "DeepSeek V4 Flash", 43, 4096, 64, v4);
        assertTrue(flash.kind().startsWith("DeepSeek-V4-Flash"), flash.kind());
        assertEquals("DeepSeek-V4 attention: 64 query heads share one K=V head of 512, a sliding window of 128 tokens, "
                + "older tokens compressed (ratios 0, 4, 128; 0 = none), and a lightning indexer (64 heads of 128, top-k 512)",
                flash.attention());
        assertFalse(flash.kvEstimated());
        assertEquals(0, flash.kvBytesPerToken());
        assertEquals(flash.weightBytes() + ModelFacts.COMPUTE_ALLOWANCE_BYTES, flash.memoryBytes(4096));

        String other = facts("deepseek4", "DeepSeek V4", 61, 7168, 128, v4).kind();
        assertTrue(other.contains("in a shape llama.cpp does not list: 61 layers, 256 routed experts"), other);
        assertTrue(other.contains("cannot say which V4"), other);
        assertFalse(other.startsWith("DeepSeek-V4-Flash"), other);
    }

    private static GgufWriter experts(GgufWriter w, String arch, int experts) {
        return w.putUInt32(arch + ".expert_count", experts).putUInt32(arch + ".expert_used_count", 8);
    }
}
