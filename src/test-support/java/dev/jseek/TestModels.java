package dev.jseek;

import dev.jseek.models.TinyDeepSeek;
import dev.jseek.models.TinyDeepSeek32;
import dev.jseek.models.TinyDeepSeek4;
import dev.jseek.models.TinyDistill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tiny random-weight models the tests run, each generated once per build into the module's target/test-work
 * (the {@code jseek.test.work} property), and the tokenizer files of the native build they are made from. Shared by
 * the runtime's, the CLI's and LangChain4j's tests (the runtime's test-jar).
 */
public final class TestModels {
    private static Path tiny;

    private TestModels() {
    }

    /** The tiny DeepSeek-R1-architecture model (the demo model's configuration). */
    public static synchronized Path tiny() {
        if (tiny == null) {
            tiny = generate(workDir(), TinyDeepSeek.Config.defaults());
        }
        return tiny;
    }

    /** A tiny model of the given configuration in {@code dir}, generated if missing (deterministic by config). */
    public static Path generate(Path dir, TinyDeepSeek.Config config) {
        try {
            return TinyDeepSeek.ensure(dir, config, TestModels::deepSeekVocab);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The tiny random-weight model of an R1-Distill family (its default config). */
    public static synchronized Path distill(TinyDistill.Family family) {
        TinyDistill.Config config = TinyDistill.Config.defaults(family);
        return generated("distill-" + family.architecture(), config, target -> TinyDistill.write(vocab(family.vocabFile()), target, config));
    }

    /** The tiny random-weight DeepSeek-V3.2 ({@code deepseek32}) model. */
    public static synchronized Path deepSeek32() {
        TinyDeepSeek32.Config config = TinyDeepSeek32.Config.defaults();
        return generated("deepseek32", config, target -> TinyDeepSeek32.write(deepSeekVocab(), target, config));
    }

    /** The tiny random-weight DeepSeek-V4 ({@code deepseek4}) model. */
    public static synchronized Path deepSeek4() {
        TinyDeepSeek4.Config config = TinyDeepSeek4.Config.defaults();
        return generated("deepseek4", config, target -> TinyDeepSeek4.write(deepSeekVocab(), target, config));
    }

    private interface ModelWriter {
        void write(Path target) throws IOException;
    }

    /** A generated model in the work directory, named by its configuration, written only if missing. */
    private static Path generated(String name, Object config, ModelWriter writer) {
        Path target = workDir().resolve("jseek-tiny-" + name + "-" + Integer.toHexString(config.toString().hashCode()) + ".gguf");
        if (!Files.isRegularFile(target)) {
            try {
                Files.createDirectories(workDir());
                writer.write(target);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return target;
    }

    /** A tokenizer file the native build ships (llama.cpp's models/ggml-vocab-*.gguf). */
    public static Path vocab(String file) {
        return Backend.get().libraryDir().resolve("vocab").resolve(file);
    }

    /** DeepSeek's own tokenizer (ggml-vocab-deepseek-llm.gguf), which the DeepSeek families are made with. */
    public static Path deepSeekVocab() {
        return vocab("ggml-vocab-deepseek-llm.gguf");
    }

    /** The module's scratch directory for tests (target/test-work). */
    public static Path workDir() {
        return Path.of(System.getProperty("jseek.test.work", "target/test-work"));
    }
}
