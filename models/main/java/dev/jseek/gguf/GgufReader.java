package dev.jseek.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * Parses the header, metadata and tensor table of a GGUF file (not the tensor data), trusting nothing
 * in it: every count and length is checked against the bytes left in the file before anything is
 * allocated, and the checks of the pinned ggml's gguf.cpp are made too (versions 2 and 3, known types,
 * unique keys and tensor names, power-of-two alignment, tensor data laid out back to back inside the file).
 */
public final class GgufReader {
    /** "GGUF" read as a little-endian u32. */
    static final int MAGIC = 0x46554747;
    /** GGUF_MAX_STRING_LENGTH and GGUF_MAX_ARRAY_ELEMENTS of gguf.cpp. */
    static final long MAX_STRING_BYTES = 1L << 30;
    static final long MAX_ARRAY_ELEMENTS = 1L << 30;
    /** GGUF_DEFAULT_ALIGNMENT and the key that overrides it. */
    public static final int DEFAULT_ALIGNMENT = 32;
    public static final String ALIGNMENT_KEY = "general.alignment";

    // smallest encodings, used to bound counts by the bytes left: key length + 1-byte key + type + 1-byte value
    private static final long MIN_KV_BYTES = 8 + 1 + 4 + 1;
    // name length + n_dims + type + offset
    private static final long MIN_TENSOR_INFO_BYTES = 8 + 4 + 4 + 8;

    private final String source;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private String where = "the header";
    private BoundedInput in;

    private GgufReader(String source) {
        this.source = source;
    }

    /** Reads and validates everything but the tensor data. */
    public static GgufFile read(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            GgufReader reader = new GgufReader(path.toString());
            reader.in = new BoundedInput(channel, reader.source, () -> reader.where);
            return reader.readFile(path);
        }
    }

    private GgufFile readFile(Path path) throws IOException {
        if (in.size() < 4) {
            throw fail("is " + in.size() + " bytes long, too short to be a GGUF file");
        }
        int magic = in.i32();
        if (magic != MAGIC) {
            throw fail("does not start with the GGUF magic (found " + printable(magic) + ")");
        }
        int version = readVersion();
        long tensorCount = readCount("tensor count", MIN_TENSOR_INFO_BYTES);
        long kvCount = readCount("metadata key/value count", MIN_KV_BYTES);

        GgufMetadata metadata = new GgufMetadata(source, readMetadata(kvCount));
        int alignment = readAlignment(metadata);
        List<GgufTensorInfo> tensors = readTensorInfos(tensorCount);

        where = "the padding before the tensor data";
        long dataOffset = in.position();
        if (tensorCount > 0) {
            dataOffset = alignUp(dataOffset, alignment);
            in.skipTo(dataOffset);
        }
        checkDataLayout(tensors, alignment, dataOffset);
        return new GgufFile(path, version, alignment, dataOffset, in.size(), metadata, tensors);
    }

    private int readVersion() throws IOException {
        long version = in.u32();
        if (version == 0) {
            throw fail("has GGUF version 0, which does not exist");
        }
        if ((version & 0xFFFF) == 0) {
            throw fail("has GGUF version " + version + ", which looks byte-swapped: big-endian GGUF files are not supported");
        }
        if (version == 1) {
            throw fail("has GGUF version 1, which ggml no longer reads");
        }
        if (version > 3) {
            throw fail("has GGUF version " + version + ", newer than the versions 2 and 3 this reader knows");
        }
        return (int) version;
    }

    /** A count that must fit the bytes left, each element taking at least {@code minBytes}. */
    private long readCount(String what, long minBytes) throws IOException {
        long count = in.i64();
        if (count < 0 || count > in.remaining() / minBytes) {
            throw fail("declares a " + what + " of " + Long.toUnsignedString(count) + ", more than its "
                    + in.size() + " bytes can hold");
        }
        return count;
    }

    private LinkedHashMap<String, GgufValue> readMetadata(long kvCount) throws IOException {
        var values = new LinkedHashMap<String, GgufValue>();
        for (long i = 0; i < kvCount; i++) {
            where = "metadata key #" + i;
            String key = readString();
            if (key.isEmpty()) {
                throw fail("has an empty metadata key (#" + i + ")");
            }
            if (values.containsKey(key)) {
                throw fail("has the metadata key '" + key + "' twice");
            }
            where = "the value of metadata key '" + key + "'";
            GgufType type = readValueType(key);
            values.put(key, type == GgufType.ARRAY ? readArray(key) : readScalar(type));
        }
        return values;
    }

    private GgufType readValueType(String key) throws IOException {
        int id = in.i32();
        return GgufType.fromId(id).orElseThrow(() -> fail("gives metadata key '" + key + "' the unknown value type " + id));
    }

    private GgufValue readScalar(GgufType type) throws IOException {
        return switch (type) {
            case UINT8 -> GgufValue.Int.uint8(in.u8());
            case INT8 -> GgufValue.Int.int8((byte) in.u8());
            case UINT16 -> GgufValue.Int.uint16(in.u16());
            case INT16 -> GgufValue.Int.int16((short) in.u16());
            case UINT32 -> GgufValue.Int.uint32(in.u32());
            case INT32 -> GgufValue.Int.int32(in.i32());
            case UINT64 -> GgufValue.Int.uint64(in.i64());
            case INT64 -> GgufValue.Int.int64(in.i64());
            case FLOAT32 -> new GgufValue.Float32(in.f32());
            case FLOAT64 -> new GgufValue.Float64(in.f64());
            case BOOL -> new GgufValue.Bool(in.u8() != 0);
            case STRING -> new GgufValue.Str(readString());
            case ARRAY -> throw new IllegalArgumentException("arrays are read by readArray");
        };
    }

    private GgufArray readArray(String key) throws IOException {
        GgufType elementType = readValueType(key);
        if (elementType == GgufType.ARRAY) {
            throw fail("has an array of arrays under metadata key '" + key + "', which ggml does not support");
        }
        long count = in.i64();
        if (count < 0 || count > MAX_ARRAY_ELEMENTS || count > in.remaining() / elementType.minimumSize()) {
            throw fail("declares " + Long.toUnsignedString(count) + " elements for the array under metadata key '"
                    + key + "', more than the file can hold");
        }
        int n = (int) count;
        Object elements = switch (elementType) {
            case STRING -> {
                String[] a = new String[n];
                for (int i = 0; i < n; i++) {
                    a[i] = readString();
                }
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.f32();
                }
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.f64();
                }
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.u8() != 0;
                }
                yield a;
            }
            case UINT8, INT8 -> in.bytes(n);
            case UINT16, INT16 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (short) in.u16();
                }
                yield a;
            }
            case UINT32, INT32 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.i32();
                }
                yield a;
            }
            case UINT64, INT64 -> {
                long[] a = new long[n];
                for (int i = 0; i < n; i++) {
                    a[i] = in.i64();
                }
                yield a;
            }
            case ARRAY -> throw new IllegalStateException("rejected above");
        };
        return GgufArray.wrap(elementType, elements);
    }

    private String readString() throws IOException {
        long length = in.i64();
        if (length < 0 || length > MAX_STRING_BYTES || length > in.remaining()) {
            throw fail("declares a string of " + Long.toUnsignedString(length) + " bytes in " + where
                    + ", more than the file can hold");
        }
        if (length == 0) {
            return ""; // shared: an array of empty strings costs the reader no more than the file
        }
        byte[] bytes = in.bytes(length);
        try {
            return utf8.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw fail("has a string that is not valid UTF-8 in " + where);
        }
    }

    private int readAlignment(GgufMetadata metadata) throws GgufFormatException {
        GgufValue value = metadata.find(ALIGNMENT_KEY).orElse(null);
        if (value == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (!(value instanceof GgufValue.Int(GgufType type, long alignment)) || type != GgufType.UINT32) {
            throw fail("has '" + ALIGNMENT_KEY + "' of type " + value.type().ggufName() + ", but it must be u32");
        }
        if (alignment == 0 || Long.bitCount(alignment) != 1) {
            throw fail("has '" + ALIGNMENT_KEY + "' " + alignment + ", which is not a power of 2");
        }
        return (int) alignment;
    }

    private List<GgufTensorInfo> readTensorInfos(long tensorCount) throws IOException {
        var tensors = new ArrayList<GgufTensorInfo>((int) tensorCount);
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            where = "tensor info #" + i;
            String name = readString();
            if (!names.add(name)) {
                throw fail("has two tensors named '" + name + "'");
            }
            where = "the info of tensor '" + name + "'";
            long dims = in.u32();
            if (dims > GgufTensorInfo.MAX_DIMS) {
                throw fail("gives tensor '" + name + "' " + dims + " dimensions, more than " + GgufTensorInfo.MAX_DIMS);
            }
            long[] shape = new long[(int) dims];
            for (int d = 0; d < dims; d++) {
                shape[d] = in.i64();
            }
            int typeId = in.i32();
            GgmlType type = GgmlType.fromId(typeId).orElseThrow(
                    () -> fail("gives tensor '" + name + "' the unknown or removed ggml type " + typeId));
            String problem = GgufTensorInfo.problem(name, shape, type);
            if (problem != null) {
                throw fail("has a tensor '" + name + "' that " + problem);
            }
            long offset = in.i64();
            if (offset < 0) {
                throw fail("gives tensor '" + name + "' the offset " + Long.toUnsignedString(offset) + ", beyond any file");
            }
            tensors.add(new GgufTensorInfo(name, shape, type, offset));
        }
        return tensors;
    }

    /** ggml requires each tensor to start where the previous one's padded data ends; the data must be in the file. */
    private void checkDataLayout(List<GgufTensorInfo> tensors, int alignment, long dataOffset) throws GgufFormatException {
        long expected = 0;
        long dataBytes = in.size() - dataOffset;
        for (GgufTensorInfo tensor : tensors) {
            if (tensor.offset() != expected) {
                throw fail("puts tensor '" + tensor.name() + "' at data offset " + tensor.offset()
                        + " where ggml expects " + expected);
            }
            long size = tensor.byteSize();
            if (size > dataBytes - tensor.offset()) {
                throw fail("has the data of tensor '" + tensor.name() + "' (" + size + " bytes at file offset "
                        + (dataOffset + tensor.offset()) + ") running past its end at byte " + in.size());
            }
            expected = tensor.offset() + alignUp(size, alignment); // no overflow: both below the file size
        }
    }

    static long alignUp(long value, int alignment) {
        return Math.addExact(value, alignment - 1) & -(long) alignment;
    }

    private GgufFormatException fail(String what) {
        return new GgufFormatException(source + " " + what + ".");
    }

    private static String printable(int magic) {
        var s = new StringBuilder("'");
        for (int i = 0; i < 4; i++) {
            int c = (magic >>> (8 * i)) & 0xFF;
            s.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return s.append('\'').toString();
    }
}
