package dev.jseek.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry of a GGUF tensor table.
 *
 * @param name   at most {@link #MAX_NAME_BYTES} UTF-8 bytes (GGML_MAX_NAME - 1)
 * @param shape  ggml order: {@code shape[0]} (ne0) is the row length, the fastest-varying dimension;
 *               at most {@link #MAX_DIMS} dimensions (ggml writes at least one, but accepts none), none
 *               negative
 * @param type   element type; {@code shape[0]} is a whole number of its blocks
 * @param offset byte offset of the data from the start of the file's data section
 */
public record GgufTensorInfo(String name, long[] shape, GgmlType type, long offset) {
    /** GGML_MAX_DIMS. */
    public static final int MAX_DIMS = 4;
    /** GGML_MAX_NAME - 1: ggml keeps names in a 64-byte NUL-terminated buffer. */
    public static final int MAX_NAME_BYTES = 63;

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        shape = shape.clone();
        String problem = problem(name, shape, type);
        if (problem != null) {
            throw new IllegalArgumentException("tensor '" + name + "' " + problem);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("tensor '" + name + "' has negative offset " + offset);
        }
    }

    /** What is wrong with a name, shape and type as ggml sees them, or null if nothing. */
    static String problem(String name, long[] shape, GgmlType type) {
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
            return "has a name longer than " + MAX_NAME_BYTES + " bytes";
        }
        if (shape.length > MAX_DIMS) {
            return "has " + shape.length + " dimensions, more than " + MAX_DIMS;
        }
        long elements = 1;
        for (long n : shape) {
            if (n < 0) {
                return "has a negative dimension in " + Arrays.toString(shape);
            }
            try {
                elements = Math.multiplyExact(elements, n);
            } catch (ArithmeticException overflow) {
                return "has more elements than a long can count: " + Arrays.toString(shape);
            }
        }
        long rowLength = shape.length > 0 ? shape[0] : 1;
        if (rowLength % type.blockSize() != 0) {
            return "has rows of " + rowLength + " elements, not a multiple of the " + type.ggmlName()
                    + " block size " + type.blockSize();
        }
        try {
            type.byteSize(elements);
        } catch (ArithmeticException overflow) {
            return "has more bytes than a long can count: " + Arrays.toString(shape);
        }
        return null;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int dimensions() {
        return shape.length;
    }

    /** Size of dimension {@code i} in ggml order; 1 beyond the stored dimensions, like ggml's ne[]. */
    public long dimension(int i) {
        return i < shape.length ? shape[i] : 1;
    }

    public long elementCount() {
        long n = 1;
        for (long d : shape) {
            n *= d; // cannot overflow: checked in the constructor
        }
        return n;
    }

    /** Bytes of data, without the alignment padding that follows it in a file. */
    public long byteSize() {
        return type.byteSize(elementCount());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo other && name.equals(other.name) && Arrays.equals(shape, other.shape)
                && type == other.type && offset == other.offset;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), type, offset);
    }

    @Override
    public String toString() {
        return name + " " + type.ggmlName() + " " + Arrays.toString(shape) + " @" + offset;
    }
}
