package dev.jseek.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated GGUF file: header, metadata and tensor table as {@link GgufReader} found them. Tensor data
 * stays on disk; {@link #readTensorBytes} and {@link #readTensorFloats} fetch one tensor on demand.
 *
 * @param dataOffset file offset of the tensor data section (aligned when there are tensors)
 */
public record GgufFile(Path path, int version, int alignment, long dataOffset, long fileSize, GgufMetadata metadata,
        List<GgufTensorInfo> tensors) {

    public GgufFile {
        tensors = List.copyOf(tensors);
    }

    public Optional<GgufTensorInfo> findTensor(String name) {
        return Optional.ofNullable(tensorsByName().get(name));
    }

    public GgufTensorInfo tensor(String name) throws GgufFormatException {
        return findTensor(name).orElseThrow(() -> new GgufFormatException(path + " has no tensor '" + name + "'."));
    }

    /** Tensors by name, in file order. */
    public Map<String, GgufTensorInfo> tensorsByName() {
        var byName = new LinkedHashMap<String, GgufTensorInfo>();
        for (GgufTensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        return byName;
    }

    /** Bytes of all tensor data: what a loader must hold in memory for the weights. */
    public long tensorBytes() {
        return tensors.stream().mapToLong(GgufTensorInfo::byteSize).sum();
    }

    /** File offset of a tensor's first byte. */
    public long fileOffset(GgufTensorInfo tensor) {
        return dataOffset + tensor.offset();
    }

    /** A tensor's raw bytes (little-endian), read from the file now; at most 2 GiB. */
    public ByteBuffer readTensorBytes(GgufTensorInfo tensor) throws IOException {
        long size = tensor.byteSize();
        if (size > Integer.MAX_VALUE - 8) {
            throw new IOException(path + ": tensor '" + tensor.name() + "' has " + size + " bytes, too many for one buffer.");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long position = fileOffset(tensor);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, position + buffer.position()) < 0) {
                    throw new GgufFormatException(path + " ended before the data of tensor '" + tensor.name()
                            + "'; it changed after it was read.");
                }
            }
        }
        return buffer.flip();
    }

    /** A tensor's values as floats, for the types {@link TensorCodec} converts (F32, F16, BF16, Q8_0). */
    public float[] readTensorFloats(String name) throws IOException {
        GgufTensorInfo tensor = tensor(name);
        return TensorCodec.decode(tensor.type(), readTensorBytes(tensor), Math.toIntExact(tensor.elementCount()));
    }
}
