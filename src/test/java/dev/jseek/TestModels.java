package dev.jseek;

import dev.jseek.models.TinyDeepSeek;
import dev.jseek.models.TinyDeepSeek32;
import dev.jseek.models.TinyDeepSeek4;
import dev.jseek.models.TinyDistill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The tiny random-weight DeepSeek model every runtime test uses, generated once per build into target/. */
public final class TestModels {
    private static Path tiny;

    private TestModels() {
    }

    public static synchronized Path tiny() {
        if (tiny == null) {
            tiny = generate(workDir(), TinyDeepSeek.Config.defaults());
        }
        return tiny;
    }

    /** A tiny model of the given configuration in {@code dir}, generated if missing (deterministic by config). */
    public static Path generate(Path dir, TinyDeepSeek.Config config) {
        Path target = dir.resolve("jseek-tiny-deepseek-r1-" + Integer.toHexString(config.toString().hashCode()) + ".gguf");
        if (!Files.isRegularFile(target)) {
            try {
                Files.createDirectories(dir);
                TinyDeepSeek.write(Backend.get().libraryDir().resolve("vocab").resolve("ggml-vocab-deepseek-llm.gguf"), target, config);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return target;
    }

    /** The tiny random-weight model of an R1-Distill family (its default config), generated once per build into target/. */
    public static synchronized Path distill(TinyDistill.Family family) {
        TinyDistill.Config config = TinyDistill.Config.defaults(family);
        Path target = workDir().resolve("jseek-tiny-distill-" + family.architecture() + "-"
                + Integer.toHexString(config.toString().hashCode()) + ".gguf");
        if (!Files.isRegularFile(target)) {
            try {
                Files.createDirectories(workDir());
                TinyDistill.write(Backend.get().libraryDir().resolve("vocab").resolve(family.vocabFile()), target, config);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return target;
    }

    /** The tiny random-weight DeepSeek-V3.2 ({@code deepseek32}) model, generated once per build into target/. */
    public static synchronized Path deepSeek32() {
        TinyDeepSeek32.Config config = TinyDeepSeek32.Config.defaults();
        return generated("deepseek32", config, target -> TinyDeepSeek32.write(deepSeekVocab(), target, config));
    }

    /** The tiny random-weight DeepSeek-V4 ({@code deepseek4}) model, generated once per build into target/. */
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

    private static Path deepSeekVocab() {
        return Backend.get().libraryDir().resolve("vocab").resolve("ggml-vocab-deepseek-llm.gguf");
    }

    public static Path workDir() {
        return Path.of(System.getProperty("jseek.test.work", "target/test-work"));
    }
}
