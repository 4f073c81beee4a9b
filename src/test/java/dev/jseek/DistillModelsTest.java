package dev.jseek;

import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.gguf.GgufReader;
import dev.jseek.models.ArchitectureCheck;
import dev.jseek.models.TinyDistill;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The R1-Distill families (qwen2, llama, qwen3) as tiny random-weight models: llama.cpp's own llama-simple is the
 * oracle for greedy output, the release's template renders into DeepSeek's markers as single tokens, a chat turn
 * splits reasoning from the answer, and a saved session continues as if never saved.
 */
class DistillModelsTest {
    private static final Map<TinyDistill.Family, Model> MODELS = new EnumMap<>(TinyDistill.Family.class);
    private static final List<String> PROMPTS = List.of("The quick brown fox jumps over the lazy dog",
            "深度求索的模型会思考吗？", "Whales 🐳 and dolphins 🐬 sing");
    private static final ChatOptions OPTIONS = ChatOptions.defaults().withSampling(SamplerParams.greedy())
            .withMaxTokens(12).withReasoningBudget(4);

    private static synchronized Model model(TinyDistill.Family family) {
        return MODELS.computeIfAbsent(family, f -> Model.load(TestModels.distill(f), ModelParams.defaults()));
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(Model::close);
    }

    static Stream<Arguments> familiesAndPrompts() {
        return Arrays.stream(TinyDistill.Family.values()).flatMap(f -> PROMPTS.stream().map(p -> Arguments.of(f, p)));
    }

    @ParameterizedTest
    @MethodSource("familiesAndPrompts")
    void greedyOutputEqualsLlamaSimple(TinyDistill.Family family, String prompt) throws Exception {
        String expected = LlamaSimpleParityTest.llamaSimple(TestModels.distill(family), prompt);
        assertEquals(expected, LlamaSimpleParityTest.greedyLikeLlamaSimple(model(family), prompt));
    }

    @ParameterizedTest
    @EnumSource(TinyDistill.Family.class)
    void theFileIsTheFamilysArchitectureAndPassesTheCheck(TinyDistill.Family family) throws Exception {
        var file = GgufReader.read(TestModels.distill(family));
        assertEquals(family.architecture(), file.metadata().getString("general.architecture"));
        ArchitectureCheck.verify(file);
    }

    @ParameterizedTest
    @EnumSource(TinyDistill.Family.class)
    void theTemplateRendersDeepSeeksMarkersAsSingleControlTokens(TinyDistill.Family family) {
        Model model = model(family);
        Vocab vocab = model.vocab();
        // llama.cpp's renderer recognises the release's template as its deepseek3 format; the BOS comes from
        // tokenizing with add_bos, the <think> pre-fill from the session. Together: what the Jinja template writes.
        ChatTemplate template = ChatTemplate.builtinOf(model);
        assertTrue(template.prefillsThinking(), "the release's template opens every reply with <think>");
        String prompt = template.format(List.of(ChatMessage.user("Hi")), true);
        assertEquals("<｜User｜>Hi<｜Assistant｜>", prompt);
        int[] tokens = vocab.tokenize(prompt + "<think>\n", true, true);
        String releaseTemplateText = "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜><think>\n";
        assertArrayEquals(vocab.tokenize(releaseTemplateText, false, true), tokens);

        int[] user = vocab.tokenize("<｜User｜>", false, true);
        int[] assistant = vocab.tokenize("<｜Assistant｜>", false, true);
        int[] think = vocab.tokenize("<think>", false, true);
        for (int[] marker : List.of(user, assistant, think)) {
            assertEquals(1, marker.length, "a marker is one token");
            assertTrue(vocab.isControl(marker[0]), vocab.text(marker[0]) + " is a control token");
        }
        assertEquals(vocab.bos(), tokens[0]);
        assertEquals(user[0], tokens[1]);
        assertEquals(assistant[0], tokens[tokens.length - 3]);
        assertEquals(think[0], tokens[tokens.length - 2]);
        assertEquals("\n", new String(vocab.piece(tokens[tokens.length - 1], true), StandardCharsets.UTF_8));
        assertEquals("<｜end▁of▁sentence｜>", vocab.text(vocab.eos()));
        assertTrue(vocab.addsBos());
    }

    @ParameterizedTest
    @EnumSource(TinyDistill.Family.class)
    void aChatTurnSplitsReasoningFromTheAnswer(TinyDistill.Family family) {
        ChatChecks.aTurnSplitsReasoningFromTheAnswer(model(family), OPTIONS);
    }

    @ParameterizedTest
    @EnumSource(TinyDistill.Family.class)
    void aLoadedSessionContinuesExactlyAsIfItHadNeverBeenSaved(TinyDistill.Family family, @TempDir Path dir) {
        ChatChecks.aLoadedSessionContinuesExactly(model(family), OPTIONS, dir);
    }

    @ParameterizedTest
    @EnumSource(TinyDistill.Family.class)
    void theSameSeedGivesTheSameWeightsAndAnotherSeedOthers(TinyDistill.Family family, @TempDir Path dir) throws Exception {
        Path vocab = TestModels.vocab(family.vocabFile());
        Path again = dir.resolve("again.gguf");
        Path other = dir.resolve("other.gguf");
        TinyDistill.write(vocab, again, TinyDistill.Config.defaults(family));
        TinyDistill.write(vocab, other, TinyDistill.Config.defaults(family).withSeed(43));
        byte[] expected = Files.readAllBytes(TestModels.distill(family));
        assertArrayEquals(expected, Files.readAllBytes(again));
        assertFalse(Arrays.equals(expected, Files.readAllBytes(other)));
    }
}
