package dev.jseek.cli;

import dev.jseek.Backend;
import dev.jseek.JseekException;

import dev.jseek.models.TinyDeepSeek;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The demo model: a tiny DeepSeek-R1-architecture GGUF with <b>random weights</b> (its output is gibberish),
 * made on first use from the real DeepSeek tokenizer that ships with the native build. It exists so that
 * jseek runs end to end, and its tests run, on a machine that cannot download real weights.
 */
public final class DemoModel {
    private DemoModel() {
    }

    /** The demo model's path, generating it into the cache (~/.cache/jseek/models) if it is not there yet. */
    public static Path ensure() {
        return ensure(Backend.cacheDirectory().resolve("models"), TinyDeepSeek.Config.defaults());
    }

    /** A tiny model with the given configuration in {@code dir}, generated if missing (deterministic by config). */
    public static Path ensure(Path dir, TinyDeepSeek.Config config) {
        try {
            return TinyDeepSeek.ensure(dir, config, () -> {
                Path vocab = Backend.get().libraryDir().resolve("vocab").resolve("ggml-vocab-deepseek-llm.gguf");
                if (!Files.isRegularFile(vocab)) {
                    throw new JseekException("The DeepSeek tokenizer " + vocab + " is missing from the native build; rebuild it with native/build.sh.");
                }
                return vocab;
            });
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the demo model to " + dir + ": " + e.getMessage(), e);
        }
    }
}
