package dev.jseek;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Text llama.cpp's pre-tokenizer cannot split recurses once per character in std::regex: on a Java thread's
 * stack, 5,000 spaces ended the JVM. Every such text must tokenize, with llama.cpp's own tokens.
 */
class HostilePromptTest {
    @RegisterExtension
    static final LoadedModel MODEL = new LoadedModel(TestModels::tiny);

    /** Lengths llama-tokenize itself survives (its 8 MiB main-thread stack holds ~25,000 ASCII characters). */
    @ParameterizedTest
    @CsvSource({"' ',5000", "x,5000", "=,8000", "ab,8000", "中,5000", "'\n',20000", "'1',12000", "'😀',3000"})
    void longUnsplittableRunsTokenizeExactlyAsLlamaTokenize(String unit, int repeats) throws Exception {
        String text = unit.repeat(repeats);
        assertArrayEquals(llamaTokenize(text), MODEL.get().vocab().tokenize(text, true, false));
    }

    @Test
    void aMegabyteRunTokenizesWithoutEndingTheProcess() {
        for (String unit : List.of(" ", "x", "ab")) {
            String text = unit.repeat((1 << 20) / unit.length());
            int[] tokens = MODEL.get().vocab().tokenize(text, false, false);
            assertTrue(tokens.length > 0 && tokens.length <= text.length(), unit + ": " + tokens.length + " tokens");
            // the same text, cut where the tokenizer must restart, gives the same tokens as a shorter run would
            assertEquals(MODEL.get().vocab().detokenize(tokens, false), text);
        }
    }

    @Test
    void tokenizingFromAVirtualThreadWorksToo() throws Exception {
        String text = "=".repeat(20_000);
        int[][] out = new int[1][];
        Thread t = Thread.ofVirtual().start(() -> out[0] = MODEL.get().vocab().tokenize(text, false, false));
        t.join();
        assertArrayEquals(MODEL.get().vocab().tokenize(text, false, false), out[0]);
    }

    private static int[] llamaTokenize(String text) throws IOException {
        Path input = Files.createTempFile(TestModels.workDir(), "prompt", ".txt");
        try {
            return LlamaTools.tokenize(MODEL.get().path(), Files.writeString(input, text, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(input);
        }
    }
}
