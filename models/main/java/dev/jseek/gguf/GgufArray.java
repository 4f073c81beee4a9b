package dev.jseek.gguf;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A GGUF array: elements of one non-array type, held in a primitive array as wide as the element type
 * (u8/i8 in a byte[], u16/i16 in a short[], u32/i32 in an int[], u64/i64 in a long[]), so that a numeric
 * array read from a file takes no more memory than the file spends on it. Immutable: factories and bulk
 * getters copy. Integer getters widen to long, unsigned types without sign extension.
 */
public final class GgufArray implements GgufValue {
    private final GgufType elementType;
    // String[], byte[], short[], int[], long[], float[], double[] or boolean[], as elementType says
    private final Object elements;

    private GgufArray(GgufType elementType, Object elements) {
        this.elementType = elementType;
        this.elements = elements;
    }

    public static GgufArray ofStrings(List<String> values) {
        String[] copy = values.toArray(String[]::new);
        for (String s : copy) {
            Objects.requireNonNull(s, "array element");
        }
        return new GgufArray(GgufType.STRING, copy);
    }

    /** Integers of {@code elementType} (any integer type); each must fit the type. */
    public static GgufArray ofIntegers(GgufType elementType, long... values) {
        if (!elementType.isInteger()) {
            throw new IllegalArgumentException(elementType.ggufName() + " is not an integer type");
        }
        for (long v : values) {
            if (!GgufValue.Int.fits(elementType, v)) {
                throw new IllegalArgumentException(v + " does not fit in " + elementType.ggufName());
            }
        }
        int n = values.length;
        Object narrow = switch (elementType.minimumSize()) {
            case 1 -> {
                byte[] a = new byte[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (byte) values[i];
                }
                yield a;
            }
            case 2 -> {
                short[] a = new short[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (short) values[i];
                }
                yield a;
            }
            case 4 -> {
                int[] a = new int[n];
                for (int i = 0; i < n; i++) {
                    a[i] = (int) values[i];
                }
                yield a;
            }
            default -> values.clone();
        };
        return new GgufArray(elementType, narrow);
    }

    public static GgufArray ofInt32(int... values) {
        return new GgufArray(GgufType.INT32, values.clone());
    }

    public static GgufArray ofFloat32(float... values) {
        return new GgufArray(GgufType.FLOAT32, values.clone());
    }

    public static GgufArray ofFloat64(double... values) {
        return new GgufArray(GgufType.FLOAT64, values.clone());
    }

    public static GgufArray ofBools(boolean... values) {
        return new GgufArray(GgufType.BOOL, values.clone());
    }

    /** Wraps an array the reader made, without copying; {@code elements} is of the kind elementType stores. */
    static GgufArray wrap(GgufType elementType, Object elements) {
        return new GgufArray(elementType, elements);
    }

    @Override
    public GgufType type() {
        return GgufType.ARRAY;
    }

    public GgufType elementType() {
        return elementType;
    }

    public int size() {
        return switch (elements) {
            case String[] a -> a.length;
            case byte[] a -> a.length;
            case short[] a -> a.length;
            case int[] a -> a.length;
            case long[] a -> a.length;
            case float[] a -> a.length;
            case double[] a -> a.length;
            case boolean[] a -> a.length;
            default -> throw new IllegalStateException();
        };
    }

    public String getString(int index) {
        return as(String[].class, "strings")[index];
    }

    /** An integer element of any integer type, widened to long (a u64 as its bit pattern). */
    public long getInteger(int index) {
        boolean unsigned = switch (elementType) {
            case UINT8, UINT16, UINT32 -> true;
            default -> false;
        };
        return switch (elements) {
            case byte[] a -> unsigned ? a[index] & 0xFFL : a[index];
            case short[] a -> unsigned ? a[index] & 0xFFFFL : a[index];
            case int[] a -> unsigned ? a[index] & 0xFFFF_FFFFL : a[index];
            case long[] a -> a[index];
            default -> throw new IllegalStateException("array of " + elementType.ggufName() + " does not hold integers");
        };
    }

    public float getFloat32(int index) {
        return as(float[].class, "f32")[index];
    }

    public double getFloat64(int index) {
        return as(double[].class, "f64")[index];
    }

    public boolean getBool(int index) {
        return as(boolean[].class, "bools")[index];
    }

    public List<String> strings() {
        return List.of(as(String[].class, "strings"));
    }

    /** All elements of an integer array, widened to long. */
    public long[] integers() {
        long[] result = new long[size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = getInteger(i);
        }
        return result;
    }

    /** All elements of an integer array as ints; fails if one does not fit. */
    public int[] ints() {
        int[] result = new int[size()];
        for (int i = 0; i < result.length; i++) {
            long value = getInteger(i);
            if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
                throw new ArithmeticException("element " + i + " (" + value + ") does not fit in an int");
            }
            result[i] = (int) value;
        }
        return result;
    }

    public float[] floats() {
        return as(float[].class, "f32").clone();
    }

    public double[] doubles() {
        return as(double[].class, "f64").clone();
    }

    public boolean[] bools() {
        return as(boolean[].class, "bools").clone();
    }

    private <T> T as(Class<T> kind, String what) {
        if (!kind.isInstance(elements)) {
            throw new IllegalStateException("array of " + elementType.ggufName() + " does not hold " + what);
        }
        return kind.cast(elements);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufArray other && elementType == other.elementType
                && Arrays.deepEquals(new Object[] {elements}, new Object[] {other.elements});
    }

    @Override
    public int hashCode() {
        return 31 * elementType.hashCode() + Arrays.deepHashCode(new Object[] {elements});
    }

    @Override
    public String toString() {
        return "GgufArray[" + elementType.ggufName() + " x " + size() + "]";
    }
}
