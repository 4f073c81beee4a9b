package dev.jseek.langchain4j;

import dev.jseek.Backend;
import dev.jseek.models.TinyDeepSeek;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/** The tiny random-weight DeepSeek model (as the runtime's tests make it) and llama.cpp's copies of DeepSeek's templates. */
final class TinyModel {
    private static Path tiny;

    private TinyModel() {
    }

    static synchronized Path path() {
        if (tiny == null) {
            TinyDeepSeek.Config config = TinyDeepSeek.Config.defaults();
            Path dir = Path.of(System.getProperty("jseek.test.work", "target/test-work"));
            Path target = dir.resolve("jseek-tiny-deepseek-r1-" + Integer.toHexString(config.toString().hashCode()) + ".gguf");
            if (!Files.isRegularFile(target)) {
                try {
                    Files.createDirectories(dir);
                    TinyDeepSeek.write(Backend.get().libraryDir().resolve("vocab").resolve("ggml-vocab-deepseek-llm.gguf"), target, config);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            tiny = target;
        }
        return tiny;
    }

    /** A template file of llama.cpp's source tree (models/templates/...), whose directory the native build records. */
    static String template(String file) {
        Properties build = new Properties();
        try (var in = Files.newInputStream(Backend.get().libraryDir().resolve("build.properties"))) {
            build.load(in);
            return Files.readString(Path.of(build.getProperty("source")).resolve("models/templates").resolve(file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
