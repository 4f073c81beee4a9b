package dev.jseek;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufWriter;
import dev.jseek.models.ModelFacts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `jseek info`'s KV-cache figure, checked byte for byte against what llama.cpp stores, for both layouts it
 * knows: MLA (deepseek2: one K row of kv_lora_rank + rope dims per layer, no V) and standard attention (an
 * R1-Distill's qwen2: K and V for every KV head). Also that a dense R1-Distill-like file loads with the
 * parameter count and size the header gives, and is called an R1-Distill.
 */
class ModelFactsMemoryParityTest {
    private static final String R1_TEMPLATE = "{% for m in messages %}{% if m['role'] == 'user' %}<｜User｜>{{ m['content'] }}"
            + "{% else %}<｜Assistant｜>{{ m['content'] }}<｜end▁of▁sentence｜>{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<｜Assistant｜><think>\\n' }}{% endif %}";

    @Test
    void mlaCachesOneLatentRowPerLayerPerToken() throws IOException {
        ModelFacts facts = ModelFacts.of(GgufReader.read(TestModels.tiny()));
        assertEquals(2L * 3 * (32 + 8), facts.kvBytesPerToken(), "F16, 3 layers, kv_lora_rank 32 + rope 8, no V");
        assertEquals(facts.kvBytesPerToken(), measuredKvBytesPerToken(TestModels.tiny(), 1));
    }

    /**
     * DeepSeek-V3.2 (deepseek32) keeps two caches, llama_kv_cache_dsa: the MLA latent and the lightning indexer's keys
     * (one head of indexer.key_length per layer). Its saved state writes both, each cell with its own 12 bytes of metadata.
     */
    @Test
    void deepSeek32CachesTheLatentAndTheIndexerKeys() throws IOException {
        Path file = TestModels.deepSeek32();
        ModelFacts facts = ModelFacts.of(GgufReader.read(file));
        var m = GgufReader.read(file).metadata();
        long latent = m.getInt("deepseek32.attention.kv_lora_rank") + m.getInt("deepseek32.rope.dimension_count");
        long indexer = m.getInt("deepseek32.attention.indexer.key_length");
        assertEquals(2L * facts.layers() * (latent + indexer), facts.kvBytesPerToken(), "F16 latent + indexer key per layer");
        assertEquals(facts.kvBytesPerToken(), measuredKvBytesPerToken(file, 2));
    }

    @Test
    void aDenseDistillCachesKAndVForEveryKvHead(@TempDir Path dir) throws IOException {
        Path file = writeTinyQwen2Distill(dir.resolve("tiny-distill-qwen2.gguf"));
        ModelFacts facts = ModelFacts.of(GgufReader.read(file));
        assertTrue(facts.kind().startsWith("R1-Distill: a dense qwen2 model"), facts.kind());
        assertEquals(0, facts.experts());
        assertEquals(2L * LAYERS * HEADS_KV * (2 * HEAD_DIM), facts.kvBytesPerToken(), "F16 K and V, 2 KV heads of 8");
        try (Model model = Model.load(file, ModelParams.defaults())) {
            assertEquals(model.parameterCount(), facts.parameters());
            assertEquals(model.sizeBytes(), facts.weightBytes());
            assertEquals(model.layerCount(), facts.layers());
        }
        assertEquals(facts.kvBytesPerToken(), measuredKvBytesPerToken(file, 1));
    }

    /**
     * What llama.cpp stores per token: the growth of one sequence's saved state from 8 to 16 tokens. Each cell
     * saved adds its KV rows plus 12 bytes of cell metadata (position, sequence count, the sequence id:
     * llama_kv_cache::state_write_meta), once per cache a model keeps; the fixed header cancels out.
     */
    private static long measuredKvBytesPerToken(Path file, int caches) {
        int step = 8;
        try (Model model = Model.load(file, ModelParams.defaults());
             Context ctx = model.newContext(new ContextParams(256, step, step, 1, 2, 2));
             Batch batch = new Batch(step, 1)) {
            long[] sizes = new long[2];
            for (int round = 0; round < 2; round++) {
                batch.clear();
                for (int i = 0; i < step; i++) {
                    int position = round * step + i;
                    batch.add(100 + position, position, 0, i == step - 1);
                }
                ctx.decode(batch);
                sizes[round] = ctx.saveSequence(0).length;
            }
            return (sizes[1] - sizes[0]) / step - 12L * caches;
        }
    }

    private static final int EMBEDDING = 32;
    private static final int LAYERS = 2;
    private static final int HEADS = 4;
    private static final int HEADS_KV = 2;
    private static final int HEAD_DIM = EMBEDDING / HEADS;
    private static final int FEED_FORWARD = 64;

    /** A qwen2 model shaped like R1-Distill-Qwen (GQA, q/k/v biases, untied output), tiny, random, with R1's template. */
    private static Path writeTinyQwen2Distill(Path out) throws IOException {
        Path vocabFile = TestModels.deepSeekVocab();
        var vocab = GgufReader.read(vocabFile).metadata();
        int vocabSize = vocab.getArray("tokenizer.ggml.tokens").size();
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "qwen2")
                .putString("general.name", "DeepSeek R1 Distill Qwen (tiny, random weights)")
                .putUInt32("general.file_type", 1)
                .putUInt32("qwen2.block_count", LAYERS)
                .putUInt32("qwen2.context_length", 512)
                .putUInt32("qwen2.embedding_length", EMBEDDING)
                .putUInt32("qwen2.feed_forward_length", FEED_FORWARD)
                .putUInt32("qwen2.attention.head_count", HEADS)
                .putUInt32("qwen2.attention.head_count_kv", HEADS_KV)
                .putFloat32("qwen2.rope.freq_base", 10000f)
                .putFloat32("qwen2.attention.layer_norm_rms_epsilon", 1e-6f);
        vocab.asMap().forEach((key, value) -> {
            if (key.startsWith("tokenizer.")) {
                w.put(key, value);
            }
        });
        w.putString("tokenizer.chat_template", R1_TEMPLATE);
        Random random = new Random(7);
        int kv = HEADS_KV * HEAD_DIM;
        tensor(w, random, "token_embd.weight", GgmlType.F16, EMBEDDING, vocabSize);
        tensor(w, random, "output_norm.weight", GgmlType.F32, EMBEDDING);
        tensor(w, random, "output.weight", GgmlType.F16, EMBEDDING, vocabSize);
        for (int i = 0; i < LAYERS; i++) {
            String b = "blk." + i + ".";
            tensor(w, random, b + "attn_norm.weight", GgmlType.F32, EMBEDDING);
            tensor(w, random, b + "attn_q.weight", GgmlType.F16, EMBEDDING, EMBEDDING);
            tensor(w, random, b + "attn_k.weight", GgmlType.F16, EMBEDDING, kv);
            tensor(w, random, b + "attn_v.weight", GgmlType.F16, EMBEDDING, kv);
            tensor(w, random, b + "attn_q.bias", GgmlType.F32, EMBEDDING);
            tensor(w, random, b + "attn_k.bias", GgmlType.F32, kv);
            tensor(w, random, b + "attn_v.bias", GgmlType.F32, kv);
            tensor(w, random, b + "attn_output.weight", GgmlType.F16, EMBEDDING, EMBEDDING);
            tensor(w, random, b + "ffn_norm.weight", GgmlType.F32, EMBEDDING);
            tensor(w, random, b + "ffn_gate.weight", GgmlType.F16, EMBEDDING, FEED_FORWARD);
            tensor(w, random, b + "ffn_up.weight", GgmlType.F16, EMBEDDING, FEED_FORWARD);
            tensor(w, random, b + "ffn_down.weight", GgmlType.F16, FEED_FORWARD, EMBEDDING);
        }
        w.write(out);
        return out;
    }

    private static void tensor(GgufWriter w, Random random, String name, GgmlType type, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] values = new float[Math.toIntExact(n)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * 0.02);
        }
        w.addTensor(name, type, shape, values);
    }
}
