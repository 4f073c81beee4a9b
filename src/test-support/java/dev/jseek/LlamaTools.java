package dev.jseek;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * llama.cpp's own tools from the same native build, run as the oracles jseek is compared to: what they print is
 * what jseek must give. Shared by every module's tests (the runtime's test-jar).
 */
public final class LlamaTools {
    private LlamaTools() {
    }

    /** A program of the native build: llama-simple, llama-tokenize, llama-bench, llama-server … */
    public static Path tool(String name) {
        return Backend.get().libraryDir().resolve(name);
    }

    /** llama-simple's stdout for {@code n} greedy tokens of {@code prompt}: the prompt's pieces, the tokens, a newline. */
    public static String simple(Path model, String prompt, int n) {
        return run(List.of(tool("llama-simple").toString(), "-m", model.toString(), "-n", String.valueOf(n), prompt), "llama-simple");
    }

    /**
     * llama-tokenize's ids for the UTF-8 text in {@code textFile}, with BOS, without parsing special tokens: what
     * jseek's {@code tokenize(text, true, false)} must give.
     */
    public static int[] tokenize(Path model, Path textFile) {
        String out = run(List.of(tool("llama-tokenize").toString(), "-m", model.toString(), "-f", textFile.toString(), "--ids",
                "--log-disable", "--no-parse-special", "--no-escape"), "llama-tokenize").trim();
        String list = out.substring(out.lastIndexOf('[') + 1, out.lastIndexOf(']'));
        return list.isBlank() ? new int[0] : Arrays.stream(list.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    /** The tool's stdout; its stderr (llama.cpp's log) is dropped. Fails the test if it fails or takes over 2 minutes. */
    private static String run(List<String> command, String name) {
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(name + " did not finish within 2 minutes");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new AssertionError(name + " failed with exit code " + p.exitValue() + ": " + text);
            }
            return text;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while " + name + " ran", e);
        }
    }
}
