package dev.jseek.models;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * llama.cpp's DeepSeek vocab file, for the tests that need it: {@code -Djseek.vocab} or {@code JSEEK_VOCAB}, else
 * the pinned source that the Maven build obtained (native/build.sh --source writes its path to a file named by
 * {@code jseek.llama.source.file}). Under Maven it must be found; elsewhere (an IDE) the tests are skipped without it.
 */
public final class TestVocab {
    private TestVocab() {
    }

    public static Optional<Path> path() {
        String configured = System.getProperty("jseek.vocab", System.getenv("JSEEK_VOCAB"));
        if (configured != null && !configured.isBlank()) {
            return Optional.of(Path.of(configured)).filter(Files::isRegularFile);
        }
        String sourceFile = System.getProperty("jseek.llama.source.file");
        if (sourceFile == null) {
            return Optional.empty();
        }
        try {
            // The file holds build.sh's progress lines too (exec-maven-plugin captures both streams); the path is last.
            List<String> lines = Files.readAllLines(Path.of(sourceFile)).stream().filter(l -> !l.isBlank()).toList();
            if (lines.isEmpty()) {
                fail("native/build.sh --source wrote nothing to " + sourceFile);
            }
            Path source = Path.of(lines.getLast().strip());
            Path vocab = source.resolve("models").resolve("ggml-vocab-deepseek-llm.gguf");
            if (!Files.isRegularFile(vocab)) {
                fail("the pinned llama.cpp source " + source + " has no " + vocab.getFileName());
            }
            return Optional.of(vocab);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + sourceFile, e);
        }
    }

    /** Writes a generated model with the vocabulary. */
    @FunctionalInterface
    public interface ModelWriter {
        void write(Path vocab, Path out) throws IOException;
    }

    /**
     * A generated model written into {@code dir} and read back; null when the vocabulary is not there (the tests
     * assume that away).
     */
    public static dev.jseek.gguf.GgufFile generated(Path dir, String name, ModelWriter writer) throws IOException {
        Path vocab = path().orElse(null);
        if (vocab == null) {
            return null;
        }
        Path model = dir.resolve(name);
        writer.write(vocab, model);
        return dev.jseek.gguf.GgufReader.read(model);
    }
}
