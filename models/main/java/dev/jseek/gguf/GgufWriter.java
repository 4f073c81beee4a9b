package dev.jseek.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SequencedMap;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Collects metadata and tensors, then writes a GGUF version 3 file. Output is a pure function of what
 * was added and in which order: keys in insertion order, tensors in insertion order, each tensor's data
 * at the next multiple of the alignment, zero padding.
 *
 * <p>The alignment is 32 unless {@code general.alignment} (u32, a power of two) is put.
 * Tensor data is held in memory until {@link #write}, so this suits test and demo models, not 100 GB ones.
 */
public final class GgufWriter {
    public static final int VERSION = 3;

    private final SequencedMap<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    /** A tensor's bytes: held in memory, or made chunk by chunk while the file is written. */
    private record PendingTensor(String name, GgmlType type, long[] shape, long size, byte[] data, ChunkFiller filler,
                                 int chunkBytes) {
    }

    /**
     * Makes the bytes of one chunk of a generated tensor. It is called from several threads at once, for
     * different chunks, so it must depend only on {@code index}: that keeps the file identical however many
     * threads made it.
     */
    @FunctionalInterface
    public interface ChunkFiller {
        /** Fills {@code chunk} from its position to its limit with the bytes of chunk number {@code index}. */
        void fill(long index, ByteBuffer chunk);
    }

    /**
     * A writer holding {@code file}'s metadata and tensors, in order, so that a changed copy can be written (the
     * tensor data is streamed from {@code file} during {@link #write}, never held in memory).
     */
    public static GgufWriter copyOf(GgufFile file) {
        var writer = new GgufWriter();
        writer.putAll(file.metadata().asMap());
        for (GgufTensorInfo tensor : file.tensors()) {
            long start = file.fileOffset(tensor);
            writer.addGeneratedTensor(tensor.name(), tensor.type(), tensor.shape(), COPY_CHUNK_BYTES, (index, chunk) -> {
                try (FileChannel in = FileChannel.open(file.path(), StandardOpenOption.READ)) {
                    long position = start + index * COPY_CHUNK_BYTES;
                    while (chunk.hasRemaining()) {
                        if (in.read(chunk, position + chunk.position()) < 0) {
                            throw new GgufFormatException(file.path() + " ended inside tensor '" + tensor.name()
                                    + "'; it changed after it was read.");
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
        }
        return writer;
    }

    private static final int COPY_CHUNK_BYTES = 8 << 20;

    /** Adds or replaces a key; a replaced key keeps its first position. */
    public GgufWriter put(String key, GgufValue value) {
        Objects.requireNonNull(value, "value");
        if (key == null || key.isEmpty()) {
            throw new IllegalArgumentException("metadata keys must not be empty");
        }
        if (key.equals(GgufReader.ALIGNMENT_KEY)) {
            alignmentOf(value); // validates
        }
        metadata.put(key, value);
        return this;
    }

    /** Adds every pair of {@code values} in its iteration order. */
    public GgufWriter putAll(Map<String, ? extends GgufValue> values) {
        values.forEach(this::put);
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, new GgufValue.Str(value));
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufValue.Int.uint32(value));
    }

    public GgufWriter putInt32(String key, int value) {
        return put(key, GgufValue.Int.int32(value));
    }

    public GgufWriter putUInt64(String key, long value) {
        return put(key, GgufValue.Int.uint64(value));
    }

    public GgufWriter putInt64(String key, long value) {
        return put(key, GgufValue.Int.int64(value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, new GgufValue.Float32(value));
    }

    public GgufWriter putFloat64(String key, double value) {
        return put(key, new GgufValue.Float64(value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, new GgufValue.Bool(value));
    }

    public GgufWriter putStrings(String key, List<String> values) {
        return put(key, GgufArray.ofStrings(values));
    }

    public GgufWriter remove(String key) {
        metadata.remove(key);
        return this;
    }

    /**
     * Adds a tensor whose values are converted to {@code type} now (F32, F16, BF16 or Q8_0).
     *
     * @param shape ggml order: {@code shape[0]} is the row length
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, float[] values) {
        long elements = new GgufTensorInfo(name, shape, type, 0).elementCount();
        if (values.length != elements) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + elements + " elements but "
                    + values.length + " values were given");
        }
        return addRawTensor(name, type, shape, TensorCodec.encode(type, values));
    }

    /** Adds a tensor of any type from its bytes as they go in the file. */
    public GgufWriter addRawTensor(String name, GgmlType type, long[] shape, byte[] data) {
        long size = new GgufTensorInfo(name, shape, type, 0).byteSize();
        if (data.length != size) {
            throw new IllegalArgumentException("tensor '" + name + "' needs " + size + " bytes of "
                    + type.ggmlName() + " but " + data.length + " were given");
        }
        addPending(new PendingTensor(name, type, shape.clone(), size, data, null, 0));
        return this;
    }

    /**
     * Adds a tensor too large to hold in memory: {@code filler} makes it {@code chunkBytes} at a time (the last
     * chunk may be shorter) while {@link #write} runs, on all cores.
     */
    public GgufWriter addGeneratedTensor(String name, GgmlType type, long[] shape, int chunkBytes, ChunkFiller filler) {
        long size = new GgufTensorInfo(name, shape, type, 0).byteSize();
        if (chunkBytes <= 0) {
            throw new IllegalArgumentException("chunkBytes must be positive, not " + chunkBytes);
        }
        addPending(new PendingTensor(name, type, shape.clone(), size, null, filler, chunkBytes));
        return this;
    }

    private void addPending(PendingTensor tensor) {
        if (!tensorNames.add(tensor.name())) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' was already added");
        }
        tensors.add(tensor);
    }

    public int alignment() {
        GgufValue value = metadata.get(GgufReader.ALIGNMENT_KEY);
        return value == null ? GgufReader.DEFAULT_ALIGNMENT : alignmentOf(value);
    }

    /**
     * Writes the file through a temporary sibling that replaces {@code path} only once complete, so a
     * failed or interrupted write never leaves a half-written model behind.
     */
    public void write(Path path) throws IOException {
        Path absolute = path.toAbsolutePath();
        Path temporary = absolute.resolveSibling(absolute.getFileName() + ".partial");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            write(channel);
            channel.force(false);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temporary);
            throw e;
        }
        try {
            Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temporary, absolute, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Writes the metadata and tensor table only, and gives the file the length it would have with the tensor data:
     * the data is a hole that reads as zeros and, on file systems with sparse files, takes no disk. It makes the
     * layout of a model too large to write (a 1.3 TB DeepSeek-R1) for code that must not read the weights; the
     * tensors' contents (and fillers) are ignored.
     */
    public void writeSparse(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            var out = new LittleEndianOutput(channel);
            long dataBytes = writeHeader(out);
            out.flush();
            if (dataBytes > 0) {
                channel.write(ByteBuffer.allocate(1), channel.position() + dataBytes - 1); // the last padding byte
            }
        }
    }

    /** Writes the whole file to {@code channel}, which is left open. */
    public void write(WritableByteChannel channel) throws IOException {
        var out = new LittleEndianOutput(channel);
        writeHeader(out);
        int alignment = alignment();
        for (PendingTensor tensor : tensors) {
            if (tensor.data() != null) {
                out.bytes(tensor.data());
            } else {
                writeGenerated(out, tensor);
            }
            out.pad(alignment);
        }
        out.flush();
    }

    /** Magic, counts, metadata and tensor table, padded to the alignment; returns the bytes of data that follow. */
    private long writeHeader(LittleEndianOutput out) throws IOException {
        int alignment = alignment();
        out.u32(GgufReader.MAGIC);
        out.u32(VERSION);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (var entry : metadata.entrySet()) {
            out.string(entry.getKey());
            writeValue(out, entry.getValue());
        }
        long offset = 0;
        for (PendingTensor tensor : tensors) {
            out.string(tensor.name());
            out.u32(tensor.shape().length);
            for (long n : tensor.shape()) {
                out.u64(n);
            }
            out.u32(tensor.type().id());
            out.u64(offset);
            offset = GgufReader.alignUp(offset + tensor.size(), alignment);
        }
        if (!tensors.isEmpty()) {
            out.pad(alignment);
        }
        return offset;
    }

    // one chunk per core is made in parallel, then the group is written in order
    private static void writeGenerated(LittleEndianOutput out, PendingTensor tensor) throws IOException {
        int parallel = Runtime.getRuntime().availableProcessors();
        long chunks = (tensor.size() + tensor.chunkBytes() - 1) / tensor.chunkBytes();
        ByteBuffer[] buffers = new ByteBuffer[(int) Math.min(parallel, chunks)];
        for (long first = 0; first < chunks; first += buffers.length) {
            long group = first;
            int count = (int) Math.min(buffers.length, chunks - first);
            IntStream.range(0, count).parallel().forEach(i -> {
                long index = group + i;
                int length = (int) Math.min(tensor.chunkBytes(), tensor.size() - index * tensor.chunkBytes());
                if (buffers[i] == null) {
                    buffers[i] = ByteBuffer.allocateDirect(tensor.chunkBytes()).order(ByteOrder.LITTLE_ENDIAN);
                }
                buffers[i].clear().limit(length);
                tensor.filler().fill(index, buffers[i]);
                if (buffers[i].position() != length) {
                    throw new IllegalStateException("the filler of tensor '" + tensor.name() + "' wrote "
                            + buffers[i].position() + " of the " + length + " bytes of chunk " + index);
                }
                buffers[i].flip();
            });
            for (int i = 0; i < count; i++) {
                out.bytes(buffers[i]);
            }
        }
    }

    private static void writeValue(LittleEndianOutput out, GgufValue value) throws IOException {
        out.u32(value.type().id());
        switch (value) {
            case GgufValue.Int v -> writeInteger(out, v.type(), v.value());
            case GgufValue.Float32 v -> out.f32(v.value());
            case GgufValue.Float64 v -> out.f64(v.value());
            case GgufValue.Bool v -> out.u8(v.value() ? 1 : 0);
            case GgufValue.Str v -> out.string(v.value());
            case GgufArray array -> writeArray(out, array);
        }
    }

    private static void writeArray(LittleEndianOutput out, GgufArray array) throws IOException {
        GgufType type = array.elementType();
        out.u32(type.id());
        out.u64(array.size());
        for (int i = 0; i < array.size(); i++) {
            switch (type) {
                case STRING -> out.string(array.getString(i));
                case FLOAT32 -> out.f32(array.getFloat32(i));
                case FLOAT64 -> out.f64(array.getFloat64(i));
                case BOOL -> out.u8(array.getBool(i) ? 1 : 0);
                default -> writeInteger(out, type, array.getInteger(i));
            }
        }
    }

    private static void writeInteger(LittleEndianOutput out, GgufType type, long value) throws IOException {
        switch (type.minimumSize()) {
            case 1 -> out.u8((int) value);
            case 2 -> out.u16((int) value);
            case 4 -> out.u32((int) value);
            default -> out.u64(value);
        }
    }

    private static int alignmentOf(GgufValue value) {
        if (!(value instanceof GgufValue.Int(GgufType type, long alignment)) || type != GgufType.UINT32
                || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException(GgufReader.ALIGNMENT_KEY + " must be a u32 power of two, not " + value);
        }
        return (int) alignment;
    }
}
