package dev.jseek;

import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufValue;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import dev.jseek.models.ArchitectureCheck;
import dev.jseek.models.TinyDeepSeek4;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DeepSeek-V4 ({@code deepseek4}) as a tiny random-weight model: llama.cpp's own llama-simple is the oracle for
 * greedy output, V4's template markers are single control tokens, a chat turn splits reasoning from the answer and
 * a saved session continues as if never saved. The chat runs on llama.cpp's built-in "deepseek3" renderer: jseek
 * formats prompts through llama_chat_apply_template, which cannot run V4's Jinja (its {@code <think>} depends on a
 * {@code thinking} variable), so the session would not know to pre-fill the reasoning block from V4's own text.
 */
class DeepSeek4ModelTest {
    private static final ChatOptions OPTIONS = ChatOptions.defaults().withTemplate(ChatTemplate.named("deepseek3"))
            .withSampling(SamplerParams.greedy()).withMaxTokens(12).withReasoningBudget(4);

    @RegisterExtension
    static final LoadedModel MODEL = new LoadedModel(TestModels::deepSeek4);

    @ParameterizedTest
    @ValueSource(strings = {"The quick brown fox jumps over the lazy dog", "深度求索的模型会思考吗？", "Whales 🐳 and dolphins 🐬 sing"})
    void greedyOutputEqualsLlamaSimple(String prompt) throws Exception {
        assertEquals(LlamaSimpleParityTest.llamaSimple(TestModels.deepSeek4(), prompt),
                LlamaSimpleParityTest.greedyLikeLlamaSimple(MODEL.get(), prompt));
    }

    @Test
    void greedyOutputEqualsLlamaSimpleWhenThePromptFillsACompressionBlock() throws Exception {
        // 201 tokens: past the 16-token window and the 4- and 128-token compression blocks, so the indexed (CSA)
        // and heavily compressed (HCA) caches hold entries and the indexer's top-k selects among them
        String prompt = "The quick brown fox jumps over the lazy dog. ".repeat(20).strip();
        assertTrue(MODEL.get().vocab().tokenize(prompt, true, true).length > 128);
        assertEquals(LlamaSimpleParityTest.llamaSimple(TestModels.deepSeek4(), prompt),
                LlamaSimpleParityTest.greedyLikeLlamaSimple(MODEL.get(), prompt));
    }

    @Test
    void theFileIsDeepSeek4WithV4sTemplateAndEveryCompressionPath() throws Exception {
        GgufFile file = GgufReader.read(TestModels.deepSeek4());
        var meta = file.metadata();
        assertEquals("deepseek4", meta.getString("general.architecture"));
        assertTrue(meta.getString("tokenizer.chat_template").contains("｜DSML｜"), "V4's own template, with its tool-call markers");
        assertArrayEquals(new int[] {0, 4, 128}, meta.getIntArray("deepseek4.attention.compress_ratios"));
        var names = file.tensors().stream().map(t -> t.name()).toList();
        // ratio 4 brings the lightning indexer, ratio 128 only the compressor, ratio 0 neither
        assertFalse(names.contains("blk.0.attn_compressor_kv.weight"));
        assertTrue(names.contains("blk.1.indexer.proj.weight") && names.contains("blk.1.attn_compressor_kv.weight"));
        assertTrue(names.contains("blk.2.attn_compressor_kv.weight") && !names.contains("blk.2.indexer.proj.weight"));
        // block 0 routes by the token's hash table, the others by score plus bias
        var table = file.tensors().stream().filter(t -> t.name().equals("blk.0.ffn_gate_tid2eid.weight")).findFirst().orElseThrow();
        assertEquals(GgmlType.I32, table.type());
        assertTrue(names.contains("blk.1.exp_probs_b.bias") && !names.contains("blk.0.exp_probs_b.bias"));
        assertTrue(names.contains("output_hc_fn.weight"));
        ArchitectureCheck.verify(file);
    }

    @Test
    void v4sTemplateMarkersAreSingleControlTokens() {
        Vocab vocab = MODEL.get().vocab();
        for (String marker : TinyDeepSeek4.CHAT_MARKERS) {
            int[] tokens = vocab.tokenize(marker, false, true);
            assertEquals(1, tokens.length, marker + " is one token");
            assertTrue(vocab.isControl(tokens[0]), marker + " is a control token");
        }
        assertEquals("<｜end▁of▁sentence｜>", vocab.text(vocab.eos()));
        assertTrue(vocab.addsBos());
        // llama.cpp's C API recognises V4's text as its deepseek3 format (without the Jinja's thinking switch)
        assertEquals("<｜User｜>Hi<｜Assistant｜>", ChatTemplate.builtinOf(MODEL.get()).format(List.of(ChatMessage.user("Hi")), true));
        // the Jinja template (jseek's default) switches thinking and knows V4's reasoning-effort level
        try (ChatSession on = new ChatSession(MODEL.get(), OPTIONS.withTemplate(null).withThinking(true));
             ChatSession off = new ChatSession(MODEL.get(), OPTIONS.withTemplate(null).withThinking(false))) {
            assertTrue(on.renderPrompt(ChatMessage.user("Hi")).endsWith("<｜User｜>Hi<｜Assistant｜><think>"));
            assertTrue(off.renderPrompt(ChatMessage.user("Hi")).endsWith("<｜User｜>Hi<｜Assistant｜></think>"));
            assertEquals(List.of("max", "none"), on.templateFeatures().reasoningEfforts());
            assertTrue(on.templateFeatures().toolCalls());
        }
    }

    @Test
    void aChatTurnSplitsReasoningFromTheAnswer() {
        ChatChecks.aTurnSplitsReasoningFromTheAnswer(MODEL.get(), OPTIONS);
    }

    @Test
    void aLoadedSessionContinuesExactlyAsIfItHadNeverBeenSaved(@TempDir Path dir) {
        ChatChecks.aLoadedSessionContinuesExactly(MODEL.get(), OPTIONS, dir);
    }

    // metadata-only edits that keep every tensor shape llama.cpp expects; the other two deepseek4 rules (a ratio-4
    // block, an indexer key_length that is a multiple of 64) change the tensor table too, so a file breaking them
    // has to be written whole (models/ DeepSeek4ArchitectureCheckTest checks those rules)
    static Stream<Arguments> filesLlamaCppAbortsOn() {
        return Stream.of(
                Arguments.of("deepseek4.attention.head_count_kv", GgufValue.Int.uint32(2), "head_count_kv is 2"),
                Arguments.of("deepseek4.attention.value_length", GgufValue.Int.uint32(16), "value_length is 16"),
                Arguments.of("deepseek4.rope.dimension_count", GgufValue.Int.uint32(48), "rope.dimension_count is 48"));
    }

    @ParameterizedTest
    @MethodSource("filesLlamaCppAbortsOn")
    void aFileLlamaCppAbortsOnCrashesTheChildAndTheJavaChecksRefuseIt(String key, GgufValue value, String message,
                                                                      @TempDir Path dir) {
        Path bad = GgufEdit.withMetadata(TestModels.deepSeek4(), dir.resolve("bad.gguf"), m -> m.put(key, value));
        var outcome = Preflight.runChild(bad, Backend.get(), false).orElseThrow();
        assertInstanceOf(Preflight.Outcome.Crashed.class, outcome, "llama.cpp alone does not survive " + key);
        var e = assertThrows(ModelLoadException.class, () -> Model.load(bad, ModelParams.defaults()));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void theSameSeedGivesTheSameFileAndAnotherSeedAnother(@TempDir Path dir) throws Exception {
        Path vocab = TestModels.deepSeekVocab();
        Path again = dir.resolve("again.gguf");
        Path other = dir.resolve("other.gguf");
        TinyDeepSeek4.write(vocab, again, TinyDeepSeek4.Config.defaults());
        TinyDeepSeek4.write(vocab, other, TinyDeepSeek4.Config.defaults().withSeed(43));
        byte[] expected = Files.readAllBytes(TestModels.deepSeek4());
        assertArrayEquals(expected, Files.readAllBytes(again));
        assertFalse(Arrays.equals(expected, Files.readAllBytes(other)));
        assertTrue(expected.length < 40_000_000, "a few tens of MB: " + expected.length);
    }
}
