package dev.jseek.gguf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * The key/value pairs of a GGUF file in file order, with typed getters. A missing key or a value of
 * the wrong type is a {@link GgufFormatException} naming the file, since it means the model file is
 * not what its reader needs. Integer getters accept every integer type and widen.
 */
public final class GgufMetadata {
    private final String source;
    private final SequencedMap<String, GgufValue> values;

    /** @param source what to call the file in messages, usually its file name */
    public GgufMetadata(String source, Map<String, GgufValue> values) {
        this.source = source;
        this.values = Collections.unmodifiableSequencedMap(new LinkedHashMap<>(values));
    }

    /** What the file is called in messages. */
    public String source() {
        return source;
    }

    /** All pairs in file order. */
    public SequencedMap<String, GgufValue> asMap() {
        return values;
    }

    public int size() {
        return values.size();
    }

    public boolean contains(String key) {
        return values.containsKey(key);
    }

    public Optional<GgufValue> find(String key) {
        return Optional.ofNullable(values.get(key));
    }

    public GgufValue get(String key) throws GgufFormatException {
        GgufValue value = values.get(key);
        if (value == null) {
            throw new GgufFormatException(source + " lacks the metadata key '" + key + "'.");
        }
        return value;
    }

    public String getString(String key) throws GgufFormatException {
        return as(key, GgufValue.Str.class, "a string").value();
    }

    public Optional<String> findString(String key) throws GgufFormatException {
        return contains(key) ? Optional.of(getString(key)) : Optional.empty();
    }

    /** Any integer type widened to long; a u64 above Long.MAX_VALUE is an error. */
    public long getLong(String key) throws GgufFormatException {
        GgufValue.Int value = as(key, GgufValue.Int.class, "an integer");
        if (!value.fitsInLong()) {
            throw new GgufFormatException(source + " has metadata key '" + key + "' = "
                    + Long.toUnsignedString(value.value()) + ", too large for a signed 64-bit integer.");
        }
        return value.value();
    }

    public long getLong(String key, long defaultValue) throws GgufFormatException {
        return contains(key) ? getLong(key) : defaultValue;
    }

    /** Any integer type whose value fits in an int. */
    public int getInt(String key) throws GgufFormatException {
        long value = getLong(key);
        if (value < Integer.MIN_VALUE || value > Integer.MAX_VALUE) {
            throw new GgufFormatException(source + " has metadata key '" + key + "' = " + value
                    + ", out of the range of a 32-bit integer.");
        }
        return (int) value;
    }

    public int getInt(String key, int defaultValue) throws GgufFormatException {
        return contains(key) ? getInt(key) : defaultValue;
    }

    /** An f32 value; an f64 one is narrowed. */
    public float getFloat(String key) throws GgufFormatException {
        return (float) getDouble(key);
    }

    public float getFloat(String key, float defaultValue) throws GgufFormatException {
        return contains(key) ? getFloat(key) : defaultValue;
    }

    /** An f32 or f64 value. */
    public double getDouble(String key) throws GgufFormatException {
        return switch (get(key)) {
            case GgufValue.Float32 f -> f.value();
            case GgufValue.Float64 f -> f.value();
            case GgufValue other -> throw wrongType(key, other, "a floating-point number");
        };
    }

    public boolean getBool(String key) throws GgufFormatException {
        return as(key, GgufValue.Bool.class, "a bool").value();
    }

    public boolean getBool(String key, boolean defaultValue) throws GgufFormatException {
        return contains(key) ? getBool(key) : defaultValue;
    }

    /** An array of any element type, as stored. */
    public GgufArray getArray(String key) throws GgufFormatException {
        return as(key, GgufArray.class, "an array");
    }

    public List<String> getStringArray(String key) throws GgufFormatException {
        return arrayOf(key, GgufType.STRING, "strings").strings();
    }

    /** An array of any integer type, widened to long (a u64 as its bit pattern). */
    public long[] getLongArray(String key) throws GgufFormatException {
        GgufArray array = getArray(key);
        if (!array.elementType().isInteger()) {
            throw new GgufFormatException(source + " has metadata key '" + key + "' as an array of "
                    + array.elementType().ggufName() + ", not of integers.");
        }
        return array.integers();
    }

    /** An array of any integer type whose elements all fit in an int. */
    public int[] getIntArray(String key) throws GgufFormatException {
        long[] values = getLongArray(key);
        int[] result = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            if (values[i] < Integer.MIN_VALUE || values[i] > Integer.MAX_VALUE) {
                throw new GgufFormatException(source + " has metadata key '" + key + "' element " + i + " = "
                        + values[i] + ", out of the range of a 32-bit integer.");
            }
            result[i] = (int) values[i];
        }
        return result;
    }

    public float[] getFloatArray(String key) throws GgufFormatException {
        return arrayOf(key, GgufType.FLOAT32, "f32").floats();
    }

    private GgufArray arrayOf(String key, GgufType elementType, String what) throws GgufFormatException {
        GgufArray array = getArray(key);
        if (array.elementType() != elementType) {
            throw new GgufFormatException(source + " has metadata key '" + key + "' as an array of "
                    + array.elementType().ggufName() + ", not of " + what + ".");
        }
        return array;
    }

    private <T extends GgufValue> T as(String key, Class<T> kind, String expected) throws GgufFormatException {
        GgufValue value = get(key);
        if (!kind.isInstance(value)) {
            throw wrongType(key, value, expected);
        }
        return kind.cast(value);
    }

    private GgufFormatException wrongType(String key, GgufValue value, String expected) {
        String actual = value instanceof GgufArray array
                ? "as an array of " + array.elementType().ggufName()
                : "of type " + value.type().ggufName();
        return new GgufFormatException(source + " has metadata key '" + key + "' " + actual + ", not " + expected + ".");
    }

    @Override
    public String toString() {
        return "GgufMetadata[" + source + ", " + values.size() + " keys]";
    }
}
