package dev.jseek;

import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.function.Consumer;

/** Copies a GGUF with its metadata changed, for tests that need a file llama.cpp would mistrust. */
final class GgufEdit {
    private GgufEdit() {
    }

    static Path withMetadata(Path source, Path target, Consumer<GgufWriter> change) {
        try {
            GgufWriter copy = GgufWriter.copyOf(GgufReader.read(source));
            change.accept(copy);
            copy.write(target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
