package dev.jseek;

import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.gguf.GgufReader;
import dev.jseek.models.ArchitectureCheck;
import dev.jseek.models.TinyDeepSeek32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DeepSeek-V3.2 ({@code deepseek32}: MLA with DeepSeek Sparse Attention) as a tiny random-weight model whose indexer
 * keeps the top 8 cached tokens per query: llama-simple is the oracle for greedy output, the sparse path is shown to
 * matter, a chat turn splits reasoning from the answer and a saved session continues as if never saved.
 */
class DeepSeek32ModelTest {
    private static final ChatOptions OPTIONS = ChatOptions.defaults().withSampling(SamplerParams.greedy())
            .withMaxTokens(12).withReasoningBudget(4)
            // V3.2's template turns thinking off unless asked; the built-in deepseek3 renders its thinking mode
            .withTemplate(ChatTemplate.named("deepseek3"));

    @RegisterExtension
    static final LoadedModel MODEL = new LoadedModel(TestModels::deepSeek32);

    @ParameterizedTest
    @ValueSource(strings = {"The quick brown fox jumps over the lazy dog", "深度求索的模型会思考吗？", "Whales 🐳 and dolphins 🐬 sing"})
    void greedyOutputEqualsLlamaSimple(String prompt) throws Exception {
        int promptTokens = MODEL.get().vocab().tokenize(prompt, true, true).length;
        assertTrue(promptTokens + 1 > TinyDeepSeek32.Config.defaults().indexerTopK(),
                "after the prompt each query has more cached tokens than the indexer keeps: the sparse path runs");
        assertEquals(LlamaSimpleParityTest.llamaSimple(TestModels.deepSeek32(), prompt),
                LlamaSimpleParityTest.greedyLikeLlamaSimple(MODEL.get(), prompt));
    }

    @Test
    void theIndexersTopKDecidesTheOutput(@TempDir Path dir) throws Exception {
        // the same weights (top_k is metadata only) with top_k as large as the context: dense MLA over every token
        var defaults = TinyDeepSeek32.Config.defaults();
        Path dense = dir.resolve("dense.gguf");
        TinyDeepSeek32.write(vocabFile(), dense,
                new TinyDeepSeek32.Config(defaults.base(), defaults.indexerHeadCount(), defaults.indexerKeyLength(), 4096));
        String prompt = "The quick brown fox jumps over the lazy dog";
        String sparse = LlamaSimpleParityTest.greedyLikeLlamaSimple(MODEL.get(), prompt);
        try (Model denseModel = Model.load(dense, ModelParams.defaults())) {
            assertNotEquals(sparse, LlamaSimpleParityTest.greedyLikeLlamaSimple(denseModel, prompt),
                    "keeping 8 tokens per query must change what the model attends to");
        }
    }

    @Test
    void theFileIsDeepSeek32WithV32sTemplateAndPassesTheCheck() throws Exception {
        var file = GgufReader.read(TestModels.deepSeek32());
        assertEquals("deepseek32", file.metadata().getString("general.architecture"));
        assertEquals(8, file.metadata().getInt("deepseek32.attention.indexer.top_k"));
        String template = file.metadata().getString("tokenizer.chat_template");
        assertTrue(template.contains("｜DSML｜") && template.contains("thinking_start_token"), "V3.2's own template");
        ArchitectureCheck.verify(file);

        // llama.cpp's C API recognises V3.2's Jinja text as its deepseek3 family, without the thinking switch
        ChatTemplate builtin = ChatTemplate.builtinOf(MODEL.get());
        assertEquals("<｜User｜>Hi<｜Assistant｜>", builtin.format(List.of(ChatMessage.user("Hi")), true));
        assertFalse(builtin.prefillsThinking());
        // the Jinja template (jseek's default) switches thinking as V3.2's template says
        try (ChatSession on = new ChatSession(MODEL.get(), OPTIONS.withTemplate(null).withThinking(true));
             ChatSession off = new ChatSession(MODEL.get(), OPTIONS.withTemplate(null).withThinking(false))) {
            assertTrue(on.renderPrompt(ChatMessage.user("Hi")).endsWith("<｜User｜>Hi<｜Assistant｜><think>"));
            assertTrue(off.renderPrompt(ChatMessage.user("Hi")).endsWith("<｜User｜>Hi<｜Assistant｜><think></think>"));
            assertTrue(on.templateFeatures().thinkingSwitch());
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

    @Test
    void theSameSeedGivesTheSameWeightsAndAnotherSeedOthers(@TempDir Path dir) throws Exception {
        Path again = dir.resolve("again.gguf");
        Path other = dir.resolve("other.gguf");
        TinyDeepSeek32.write(vocabFile(), again, TinyDeepSeek32.Config.defaults());
        TinyDeepSeek32.write(vocabFile(), other, TinyDeepSeek32.Config.defaults().withSeed(43));
        byte[] expected = Files.readAllBytes(TestModels.deepSeek32());
        assertTrue(expected.length < 40_000_000, "a few tens of MB at most: " + expected.length);
        assertArrayEquals(expected, Files.readAllBytes(again));
        assertFalse(Arrays.equals(expected, Files.readAllBytes(other)));
    }

    private static Path vocabFile() {
        return TestModels.deepSeekVocab();
    }
}
