package dev.jseek.models;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ModelFactsTest {
    private static final String R1_TEMPLATE = "{% for m in messages %}<｜User｜>{{m}}<｜Assistant｜>{% endfor %}<｜end▁of▁sentence｜><｜Assistant｜><think>\\n";

    @Test
    void theTinyDeepSeekModelIsDescribedAsAMoeWithMla(@TempDir Path dir) throws IOException {
        Path vocab = TestVocab.path().orElse(null);
        assumeTrue(vocab != null, "needs llama.cpp's DeepSeek vocab");
        Path model = dir.resolve("tiny.gguf");
        TinyDeepSeek.Config cfg = TinyDeepSeek.Config.defaults();
        TinyDeepSeek.write(vocab, model, cfg);
        ModelFacts f = ModelFacts.of(GgufReader.read(model));
        assertEquals("deepseek2", f.architecture());
        assertTrue(f.kind().contains("MoE, MLA"), f.kind());
        assertEquals(8, f.experts());
        assertEquals(2, f.expertsUsed());
        assertEquals(1, f.sharedExperts());
        assertEquals(1, f.denseLayers());
        assertEquals(102404, f.vocabularySize());
        assertEquals("deepseek3", f.templateFamily());
        assertTrue(f.templatePrefillsThinking());
        // 2 MoE layers × 3 expert matrices × 8 experts: a token uses 2 of 8, so 6/8 of those weights are idle
        long expertWeights = 2L * 3 * 8 * 64 * 32;
        assertEquals(f.parameters() - expertWeights * 6 / 8, f.activeParameters());
        assertTrue(f.memoryBytes(4096) > f.weightBytes() + f.kvBytesPerToken() * 4095);
    }

    @Test
    void anR1DistillIsCalledWhatItIsNotR1(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("distill.gguf");
        new GgufWriter()
                .putString("general.architecture", "qwen2")
                .putString("general.name", "DeepSeek R1 Distill Qwen 1.5B")
                .putUInt32("qwen2.block_count", 2)
                .putUInt32("qwen2.embedding_length", 8)
                .putUInt32("qwen2.attention.head_count", 2)
                .putUInt32("qwen2.attention.head_count_kv", 1)
                .putUInt32("qwen2.context_length", 131072)
                .putUInt32("general.file_type", 15)
                .putString("tokenizer.chat_template", R1_TEMPLATE)
                .addTensor("token_embd.weight", GgmlType.F32, new long[] {8, 4}, new float[32])
                .write(file);
        ModelFacts f = ModelFacts.of(GgufReader.read(file));
        assertTrue(f.kind().startsWith("R1-Distill: a dense qwen2 model"), f.kind());
        assertTrue(f.kind().contains("not R1 itself"));
        assertEquals("Q4_K_M", f.quantization());
        assertEquals(0, f.experts());
        assertEquals(f.parameters(), f.activeParameters());
        assertEquals(2L * 2 * 1 * (4 + 4), f.kvBytesPerToken(), "F16 K and V for one KV head of 4 dims, 2 layers");
    }

    @Test
    void templateFamiliesMatchLlamaCppsDetection() {
        assertEquals("deepseek3", TemplateText.family(R1_TEMPLATE));
        assertEquals("deepseek2", TemplateText.family("{{ 'Assistant: ' + message['content'] + eos_token }}"));
        assertEquals("deepseek", TemplateText.family("### Instruction: ... <|EOT|>"));
        assertEquals("chatml", TemplateText.family("<|im_start|>user"));
        assertEquals("none", TemplateText.family(null));
        assertEquals("other", TemplateText.family("{{ messages }}"));
    }
}
