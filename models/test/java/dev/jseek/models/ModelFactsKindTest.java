package dev.jseek.models;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufArray;
import dev.jseek.gguf.GgufWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What `jseek info` calls a file is told by its shape, not by its architecture name alone. */
class ModelFactsKindTest {
    private static final String R1_TEMPLATE = "{% for m in messages %}<｜User｜>{{m}}<｜Assistant｜>{% endfor %}<｜end▁of▁sentence｜>{{'<｜Assistant｜><think>\\n'}}";
    private static final String V3_TEMPLATE = "{% for m in messages %}<｜User｜>{{m}}<｜Assistant｜>{% endfor %}<｜end▁of▁sentence｜>{{'<｜Assistant｜>'}}";

    @TempDir
    Path dir;

    /** A header with the keys kind() reads and one tiny tensor: the shape is in the metadata, not in the weights. */
    private ModelFacts facts(String arch, String name, int layers, int experts, String template, UnaryOperator<GgufWriter> more)
            throws IOException {
        Path file = dir.resolve(name.replaceAll("\\W", "_") + ".gguf");
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", arch)
                .putString("general.name", name)
                .putUInt32(arch + ".block_count", layers)
                .putUInt32(arch + ".embedding_length", 8)
                .putUInt32(arch + ".attention.head_count", 2)
                .putString("tokenizer.chat_template", template)
                .addTensor("token_embd.weight", GgmlType.F32, new long[] {8, 2}, new float[16]);
        if (experts > 0) {
            w.putUInt32(arch + ".expert_count", experts).putUInt32(arch + ".expert_used_count", 8);
        }
        more.apply(w).write(file);
        return ModelFacts.of(GgufReader.read(file));
    }

    private ModelFacts facts(String arch, String name, int layers, int experts, String template) throws IOException {
        return facts(arch, name, layers, experts, template, w -> w);
    }

    @Test
    void deepSeekReleasesAreToldApartByShape() throws IOException {
        String r1 = facts("deepseek2", "DeepSeek R1 0528", 61, 256, R1_TEMPLATE).kind();
        assertTrue(r1.contains("671B") && r1.contains("R1"), r1);
        String v3 = facts("deepseek2", "DeepSeek V3 0324", 61, 256, V3_TEMPLATE).kind();
        assertTrue(v3.contains("671B") && !v3.contains("reasoning"), v3);
        String v2 = facts("deepseek2", "DeepSeek-V2-Chat-0628", 60, 160, V3_TEMPLATE).kind();
        assertTrue(v2.contains("236B") && !v2.contains("671B"), v2);
        String lite = facts("deepseek2", "DeepSeek-Coder-V2-Lite-Instruct", 27, 64, V3_TEMPLATE).kind();
        assertTrue(lite.contains("Coder-V2-Lite") && lite.contains("16B"), lite);
    }

    @Test
    void otherModelsInTheDeepSeek2ArchitectureAreNotCalledDeepSeek() throws IOException {
        String kimi = facts("deepseek2", "Kimi K2 Instruct", 61, 384, "<|im_assistant|>assistant<|im_middle|>").kind();
        assertTrue(kimi.contains("no DeepSeek release's shape") && kimi.contains("384"), kimi);
        assertFalse(kimi.contains("671B"), kimi);
    }

    @Test
    void distillsAndV1ModelsAreNamed() throws IOException {
        assertTrue(facts("qwen3", "DeepSeek R1 0528 Qwen3 8B", 36, 0, R1_TEMPLATE).kind().startsWith("R1-Distill: a dense qwen3"));
        assertTrue(facts("llama", "deepseek-coder-6.7b-instruct", 32, 0, "### Instruction: ... <|EOT|>").kind()
                .startsWith("DeepSeek LLM / Coder v1"));
        assertTrue(facts("deepseek", "deepseek-moe-16b-chat", 28, 64, "{{ messages }}").kind().startsWith("DeepSeek-MoE v1"));
        assertEquals("dense qwen2 model", facts("qwen2", "Qwen2.5 7B Instruct", 28, 0, "<|im_start|>").kind());
    }

    @Test
    void templateFamiliesFollowLlamaCppsOrder() {
        assertEquals("chatml", TemplateText.family("<|im_start|> <｜User｜><｜Assistant｜><｜end▁of▁sentence｜>"));
        assertEquals("deepseek3", TemplateText.family("deepseek3"));
        assertEquals("other", TemplateText.family("<|im_start|><|im_sep|>"), "phi4, not chatml");
    }

    /** llama.cpp's copies of the real templates: R1 and its distills pre-fill, V3.1 and Qwen3 do not. */
    @Test
    void thinkingPrefillIsReadFromTheRealTemplates() throws IOException {
        Path vocab = TestVocab.path().orElse(null);
        assumeTrue(vocab != null, "needs the pinned llama.cpp source");
        Path templates = vocab.resolveSibling("templates");
        for (String name : List.of("llama-cpp-deepseek-r1", "deepseek-ai-DeepSeek-R1-Distill-Llama-8B",
                "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "Qwen-QwQ-32B")) {
            assertTrue(TemplateText.prefillsThinking(Files.readString(templates.resolve(name + ".jinja"))), name);
        }
        for (String name : List.of("deepseek-ai-DeepSeek-V3.1", "Qwen-Qwen3-0.6B", "Qwen-Qwen2.5-7B-Instruct")) {
            assertFalse(TemplateText.prefillsThinking(Files.readString(templates.resolve(name + ".jinja"))), name);
        }
        assertEquals("deepseek3", TemplateText.family(Files.readString(templates.resolve("deepseek-ai-DeepSeek-V3.1.jinja"))));
    }

    @Test
    void mtpLayersGetNoKvCacheAndPerLayerKvHeadsAreSummed() throws IOException {
        ModelFacts withMtp = facts("deepseek2", "DeepSeek V3 with MTP", 62, 256, V3_TEMPLATE, w -> w
                .putUInt32("deepseek2.nextn_predict_layers", 1)
                .putUInt32("deepseek2.attention.key_length", 576)
                .putUInt32("deepseek2.attention.key_length_mla", 192));
        assertEquals(2L * 61 * 576, withMtp.kvBytesPerToken());
        ModelFacts perLayer = facts("llama", "per-layer kv heads", 3, 0, "x", w -> w
                .put("llama.attention.head_count_kv", GgufArray.ofInt32(1, 0, 2)));
        assertEquals(2L * (1 + 0 + 2) * (4 + 4), perLayer.kvBytesPerToken());
    }
}
