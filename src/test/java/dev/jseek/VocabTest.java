package dev.jseek;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VocabTest {
    private static Model model;
    private static Vocab vocab;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
        vocab = model.vocab();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Hello, world!", "深度求索（DeepSeek）是一家中国公司。", "Emoji: 🐳🐬🦈 end", "tab\tand\nnewline"})
    void tokenizeThenDetokenizeGivesTheTextBack(String text) {
        int[] tokens = vocab.tokenize(text, false, false);
        assertTrue(tokens.length > 0);
        assertEquals(text, vocab.detokenize(tokens, false));
    }

    @Test
    void theByteLengthNotTheCharCountGoesToC() {
        // 8 chars but 24 bytes: passing String.length() would cut the text to its first 8 bytes.
        String text = "深度求索深度求索";
        assertEquals(text, vocab.detokenize(vocab.tokenize(text, false, false), false));
    }

    @Test
    void bosIsAddedOnlyWhenAsked() {
        int[] with = vocab.tokenize("hi", true, false);
        int[] without = vocab.tokenize("hi", false, false);
        assertEquals(vocab.bos(), with[0]);
        assertArrayEquals(without, Arrays.copyOfRange(with, 1, with.length));
    }

    @Test
    void chatMarkersInUserTextAreNotControlTokensUnlessAsked() {
        String marker = "<｜User｜>";
        int[] asText = vocab.tokenize(marker, false, false);
        int[] asControl = vocab.tokenize(marker, false, true);
        assertEquals(1, asControl.length, "the template's marker is one token");
        assertTrue(vocab.isControl(asControl[0]));
        for (int t : asText) {
            assertFalse(vocab.isControl(t), "user text produced control token " + t);
        }
        assertEquals(marker, vocab.detokenize(asText, false));
    }

    @Test
    void controlTokensRenderOnlyWhenSpecialIsRequested() {
        int think = vocab.tokenize("</think>", false, true)[0];
        assertEquals("</think>", new String(vocab.piece(think, true), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(0, vocab.piece(think, false).length);
    }

    @Test
    void endOfGenerationIsRecognised() {
        assertTrue(vocab.isEndOfGeneration(vocab.eos()));
        assertFalse(vocab.isEndOfGeneration(vocab.tokenize("a", false, false)[0]));
    }
}
