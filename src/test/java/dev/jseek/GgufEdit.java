package dev.jseek;

import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufTensorInfo;
import dev.jseek.gguf.GgufValue;
import dev.jseek.gguf.GgufWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/** Copies a GGUF with its metadata changed, for tests that need a file llama.cpp would mistrust. */
final class GgufEdit {
    private GgufEdit() {
    }

    static Path withMetadata(Path source, Path target, Consumer<Map<String, GgufValue>> change) {
        try {
            GgufFile file = GgufReader.read(source);
            Map<String, GgufValue> values = new LinkedHashMap<>(file.metadata().asMap());
            change.accept(values);
            var writer = new GgufWriter();
            writer.putAll(values);
            for (GgufTensorInfo tensor : file.tensors()) {
                ByteBuffer data = file.readTensorBytes(tensor);
                byte[] bytes = new byte[data.remaining()];
                data.get(bytes);
                writer.addRawTensor(tensor.name(), tensor.type(), tensor.shape(), bytes);
            }
            writer.write(target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
