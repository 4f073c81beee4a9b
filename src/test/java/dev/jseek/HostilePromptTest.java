package dev.jseek;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Text llama.cpp's pre-tokenizer cannot split recurses once per character in std::regex: on a Java thread's
 * stack, 5,000 spaces ended the JVM. Every such text must tokenize, with llama.cpp's own tokens.
 */
class HostilePromptTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Lengths llama-tokenize itself survives (its 8 MiB main-thread stack holds ~25,000 ASCII characters). */
    @ParameterizedTest
    @CsvSource({"' ',5000", "x,5000", "=,8000", "ab,8000", "中,5000", "'\n',20000", "'1',12000", "'😀',3000"})
    void longUnsplittableRunsTokenizeExactlyAsLlamaTokenize(String unit, int repeats) throws Exception {
        String text = unit.repeat(repeats);
        assertArrayEquals(llamaTokenize(text), model.vocab().tokenize(text, true, false));
    }

    @Test
    void aMegabyteRunTokenizesWithoutEndingTheProcess() {
        for (String unit : List.of(" ", "x", "ab")) {
            String text = unit.repeat((1 << 20) / unit.length());
            int[] tokens = model.vocab().tokenize(text, false, false);
            assertTrue(tokens.length > 0 && tokens.length <= text.length(), unit + ": " + tokens.length + " tokens");
            // the same text, cut where the tokenizer must restart, gives the same tokens as a shorter run would
            assertEquals(model.vocab().detokenize(tokens, false), text);
        }
    }

    @Test
    void tokenizingFromAVirtualThreadWorksToo() throws Exception {
        String text = "=".repeat(20_000);
        int[][] out = new int[1][];
        Thread t = Thread.ofVirtual().start(() -> out[0] = model.vocab().tokenize(text, false, false));
        t.join();
        assertArrayEquals(model.vocab().tokenize(text, false, false), out[0]);
    }

    private static int[] llamaTokenize(String text) throws IOException, InterruptedException {
        Path tool = Backend.get().libraryDir().resolve("llama-tokenize");
        Path input = Files.createTempFile(TestModels.workDir(), "prompt", ".txt");
        try {
            Files.writeString(input, text, StandardCharsets.UTF_8);
            Process p = new ProcessBuilder(tool.toString(), "-m", model.path().toString(), "-f", input.toString(),
                    "--ids", "--log-disable", "--no-parse-special", "--no-escape").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertTrue(p.waitFor(120, TimeUnit.SECONDS));
            assertEquals(0, p.exitValue(), "llama-tokenize failed: " + out);
            String list = out.substring(out.lastIndexOf('[') + 1, out.lastIndexOf(']'));
            return list.isBlank() ? new int[0] : Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        } finally {
            Files.deleteIfExists(input);
        }
    }
}
