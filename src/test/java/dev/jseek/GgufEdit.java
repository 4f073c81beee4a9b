package dev.jseek;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufTensorInfo;
import dev.jseek.gguf.GgufWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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

    /** Copies a GGUF with one tensor's type field changed in place (the data is left as it is). */
    static Path withTensorType(Path source, Path target, String tensor, GgmlType type) {
        try {
            GgufFile file = GgufReader.read(source);
            GgufTensorInfo info = file.findTensor(tensor).orElseThrow();
            byte[] bytes = Files.readAllBytes(source);
            // a tensor entry: u64 name length, name, u32 dimension count, u64 per dimension, u32 type, u64 offset
            byte[] name = tensor.getBytes(StandardCharsets.UTF_8);
            byte[] entry = ByteBuffer.allocate(8 + name.length).order(ByteOrder.LITTLE_ENDIAN).putLong(name.length).put(name).array();
            for (int at = 0; at + entry.length < file.dataOffset(); at++) {
                if (Arrays.equals(bytes, at, at + entry.length, entry, 0, entry.length)) {
                    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(at + entry.length + 4 + 8 * info.dimensions(), type.id());
                    Files.write(target, bytes);
                    return target;
                }
            }
            throw new IllegalArgumentException("no entry for " + tensor + " in " + source);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
