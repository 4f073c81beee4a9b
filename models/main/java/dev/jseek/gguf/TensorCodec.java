package dev.jseek.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;

/**
 * Converts between float values and the bytes of the tensor types a writer of test models needs:
 * F32, F16, BF16 and Q8_0. Rounding follows ggml's reference code (round to nearest even for the
 * half-precision types, {@code roundf} for Q8_0), so the bytes match what ggml itself would write.
 */
public final class TensorCodec {
    public static final Set<GgmlType> SUPPORTED = Set.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0);

    private static final int Q8_0_BLOCK = 32;

    private TensorCodec() {
    }

    public static boolean supports(GgmlType type) {
        return SUPPORTED.contains(type);
    }

    /** The bytes of {@code values} as {@code type}; Q8_0 needs a whole number of 32-value blocks. */
    public static byte[] encode(GgmlType type, float[] values) {
        requireSupported(type);
        byte[] bytes = new byte[Math.toIntExact(type.byteSize(values.length))];
        ByteBuffer out = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case F32 -> out.asFloatBuffer().put(values);
            case F16 -> {
                for (float v : values) {
                    out.putShort(Float.floatToFloat16(v));
                }
            }
            case BF16 -> {
                for (float v : values) {
                    out.putShort(toBf16(v));
                }
            }
            case Q8_0 -> encodeQ8_0(values, out);
            default -> throw new AssertionError(type);
        }
        return bytes;
    }

    /** {@code count} values of {@code type} read from {@code data} at its position (any byte order). */
    public static float[] decode(GgmlType type, ByteBuffer data, int count) {
        requireSupported(type);
        ByteBuffer in = data.slice().order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < type.byteSize(count)) {
            throw new IllegalArgumentException(count + " " + type.ggmlName() + " values need " + type.byteSize(count)
                    + " bytes, got " + in.remaining());
        }
        float[] values = new float[count];
        switch (type) {
            case F32 -> in.asFloatBuffer().get(values);
            case F16 -> {
                for (int i = 0; i < count; i++) {
                    values[i] = Float.float16ToFloat(in.getShort());
                }
            }
            case BF16 -> {
                for (int i = 0; i < count; i++) {
                    values[i] = Float.intBitsToFloat((in.getShort() & 0xFFFF) << 16);
                }
            }
            case Q8_0 -> {
                for (int block = 0; block < count / Q8_0_BLOCK; block++) {
                    float scale = Float.float16ToFloat(in.getShort());
                    for (int j = 0; j < Q8_0_BLOCK; j++) {
                        values[block * Q8_0_BLOCK + j] = scale * in.get();
                    }
                }
            }
            default -> throw new AssertionError(type);
        }
        return values;
    }

    // ggml_compute_fp32_to_bf16: round to nearest even, NaN kept quiet
    private static short toBf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 64);
        }
        return (short) ((bits + (0x7FFF + ((bits >>> 16) & 1))) >>> 16);
    }

    // quantize_row_q8_0_ref: per block of 32, scale = max|x| / 127 stored as f16, q = roundf(x / scale)
    private static void encodeQ8_0(float[] values, ByteBuffer out) {
        for (int start = 0; start < values.length; start += Q8_0_BLOCK) {
            float amax = 0;
            for (int j = 0; j < Q8_0_BLOCK; j++) {
                amax = Math.max(amax, Math.abs(values[start + j]));
            }
            float scale = amax / 127;
            float inverse = scale != 0 ? 1.0f / scale : 0.0f;
            out.putShort(Float.floatToFloat16(scale));
            for (int j = 0; j < Q8_0_BLOCK; j++) {
                float x = values[start + j] * inverse;
                out.put((byte) Math.copySign(Math.floor(Math.abs((double) x) + 0.5), x)); // roundf: halves away from zero, exact in double
            }
        }
    }

    private static void requireSupported(GgmlType type) {
        if (!supports(type)) {
            throw new IllegalArgumentException("no float conversion for " + type.ggmlName() + "; supported: " + SUPPORTED);
        }
    }
}
