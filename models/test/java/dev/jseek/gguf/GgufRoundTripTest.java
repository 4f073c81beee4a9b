package dev.jseek.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    /** One key per scalar type at its extremes, one array per element type, an empty array. */
    static GgufWriter everyValueType() {
        return new GgufWriter()
                .put("u8", GgufValue.Int.uint8(255))
                .put("i8", GgufValue.Int.int8(-128))
                .put("u16", GgufValue.Int.uint16(65535))
                .put("i16", GgufValue.Int.int16(-32768))
                .putUInt32("u32", 0xFFFF_FFFFL)
                .putInt32("i32", Integer.MIN_VALUE)
                .putUInt64("u64", -1L)
                .putInt64("i64", Long.MIN_VALUE)
                .putFloat32("f32", -0.0f)
                .putFloat32("f32.nan", Float.NaN)
                .putFloat64("f64", Math.PI)
                .putBool("bool.true", true)
                .putBool("bool.false", false)
                .putString("str", "DeepSeek <\uFF5CUser\uFF5C> 你好 🤖")
                .putString("str.empty", "")
                .put("arr.u8", GgufArray.ofIntegers(GgufType.UINT8, 0, 1, 255))
                .put("arr.i8", GgufArray.ofIntegers(GgufType.INT8, -128, 0, 127))
                .put("arr.u16", GgufArray.ofIntegers(GgufType.UINT16, 0, 65535))
                .put("arr.i16", GgufArray.ofIntegers(GgufType.INT16, -32768, 32767))
                .put("arr.u32", GgufArray.ofIntegers(GgufType.UINT32, 0, 0xFFFF_FFFFL))
                .put("arr.i32", GgufArray.ofInt32(Integer.MIN_VALUE, -1, 3))
                .put("arr.u64", GgufArray.ofIntegers(GgufType.UINT64, 0, -1))
                .put("arr.i64", GgufArray.ofIntegers(GgufType.INT64, Long.MIN_VALUE, Long.MAX_VALUE))
                .put("arr.f32", GgufArray.ofFloat32(1.5f, -2f, Float.MIN_VALUE))
                .put("arr.f64", GgufArray.ofFloat64(1e300, -0.0))
                .put("arr.bool", GgufArray.ofBools(true, false, true))
                .putStrings("arr.str", List.of("a", "", "<think>", "ü"))
                .put("arr.empty", GgufArray.ofIntegers(GgufType.INT32));
    }

    static float[] ramp(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) Math.sin(i * 0.37) * (i % 7 - 3);
        }
        return v;
    }

    @Test
    void everyValueTypeSurvivesWriteAndRead() throws IOException {
        GgufWriter writer = everyValueType();
        Path file = dir.resolve("values.gguf");
        writer.write(file);

        GgufFile gguf = GgufReader.read(file);
        assertEquals(3, gguf.version());
        assertEquals(List.of(), gguf.tensors());
        assertEquals(Files.size(file), gguf.dataOffset(), "no padding without tensors");
        GgufMetadata m = gguf.metadata();
        assertEquals(List.copyOf(everyValueTypeKeys()), List.copyOf(m.asMap().keySet()), "file order kept");

        assertEquals(GgufValue.Int.uint8(255), m.get("u8"));
        assertEquals(-128, m.getInt("i8"));
        assertEquals(65535, m.getInt("u16"));
        assertEquals(-32768, m.getLong("i16"));
        assertEquals(0xFFFF_FFFFL, m.getLong("u32"));
        assertEquals(Integer.MIN_VALUE, m.getInt("i32"));
        assertEquals(GgufValue.Int.uint64(-1), m.get("u64"));
        assertEquals(Long.MIN_VALUE, m.getLong("i64"));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(m.getFloat("f32")));
        assertTrue(Float.isNaN(m.getFloat("f32.nan")));
        assertEquals(Math.PI, m.getDouble("f64"));
        assertTrue(m.getBool("bool.true"));
        assertEquals(false, m.getBool("bool.false"));
        assertEquals("DeepSeek <\uFF5CUser\uFF5C> 你好 🤖", m.getString("str"));
        assertEquals("", m.getString("str.empty"));
        assertArrayEquals(new long[] {0, 1, 255}, m.getLongArray("arr.u8"));
        assertArrayEquals(new int[] {-128, 0, 127}, m.getIntArray("arr.i8"));
        assertArrayEquals(new long[] {0, 0xFFFF_FFFFL}, m.getLongArray("arr.u32"));
        assertArrayEquals(new long[] {0, -1}, m.getLongArray("arr.u64"));
        assertArrayEquals(new float[] {1.5f, -2f, Float.MIN_VALUE}, m.getFloatArray("arr.f32"));
        assertArrayEquals(new double[] {1e300, -0.0}, m.getArray("arr.f64").doubles());
        assertArrayEquals(new boolean[] {true, false, true}, m.getArray("arr.bool").bools());
        assertEquals(List.of("a", "", "<think>", "ü"), m.getStringArray("arr.str"));
        assertEquals(0, m.getArray("arr.empty").size());
        assertEquals(GgufType.INT32, m.getArray("arr.empty").elementType());

        // every value equals what was put, type included
        Map<String, GgufValue> expected = readBackOf(everyValueType());
        assertEquals(expected, m.asMap());
    }

    private static List<String> everyValueTypeKeys() {
        return List.of("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f32.nan", "f64", "bool.true",
                "bool.false", "str", "str.empty", "arr.u8", "arr.i8", "arr.u16", "arr.i16", "arr.u32", "arr.i32",
                "arr.u64", "arr.i64", "arr.f32", "arr.f64", "arr.bool", "arr.str", "arr.empty");
    }

    private Map<String, GgufValue> readBackOf(GgufWriter writer) throws IOException {
        Path file = Files.createTempFile(dir, "expected", ".gguf");
        writer.write(file);
        return GgufReader.read(file).metadata().asMap();
    }

    @Test
    void tensorsOfEveryWritableTypeSurvive() throws IOException {
        float[] f32 = ramp(3 * 5);
        float[] f16 = ramp(64 * 3);
        float[] bf16 = ramp(8);
        float[] q8 = ramp(64 * 2 * 2);
        byte[] q4 = new byte[GgmlType.Q4_0.typeSize() * 2];
        for (int i = 0; i < q4.length; i++) {
            q4[i] = (byte) (i * 31);
        }
        Path file = dir.resolve("tensors.gguf");
        everyValueType()
                .addTensor("a.f32", GgmlType.F32, new long[] {3, 5}, f32)
                .addTensor("b.f16", GgmlType.F16, new long[] {64, 3}, f16)
                .addTensor("c.bf16", GgmlType.BF16, new long[] {8}, bf16)
                .addTensor("d.q8_0", GgmlType.Q8_0, new long[] {64, 2, 2}, q8)
                .addRawTensor("e.q4_0", GgmlType.Q4_0, new long[] {32, 2}, q4)
                .write(file);

        GgufFile gguf = GgufReader.read(file);
        assertEquals(5, gguf.tensors().size());
        assertEquals(0, gguf.dataOffset() % 32);
        for (GgufTensorInfo t : gguf.tensors()) {
            assertEquals(0, t.offset() % 32, t.name());
        }
        assertEquals(new GgufTensorInfo("a.f32", new long[] {3, 5}, GgmlType.F32, 0), gguf.tensor("a.f32"));
        assertEquals(64, gguf.tensor("b.f16").offset(), "60 bytes of a.f32 padded to 64");
        assertArrayEquals(new long[] {64, 2, 2}, gguf.tensor("d.q8_0").shape());
        assertEquals(8 * 34, gguf.tensor("d.q8_0").byteSize(), "256 values in 8 blocks of 34 bytes");

        assertArrayEquals(f32, gguf.readTensorFloats("a.f32"));
        assertArrayEquals(viaF16(f16), gguf.readTensorFloats("b.f16"));
        float[] bf16Back = gguf.readTensorFloats("c.bf16");
        float[] q8Back = gguf.readTensorFloats("d.q8_0");
        for (int i = 0; i < bf16.length; i++) {
            assertEquals(bf16[i], bf16Back[i], Math.abs(bf16[i]) / 128, "bf16 keeps 8 bits of mantissa");
        }
        for (int i = 0; i < q8.length; i++) {
            assertEquals(q8[i], q8Back[i], 3.0 / 127 + 1e-3, "q8_0 error is at most half a step of max/127");
        }
        ByteBuffer raw = gguf.readTensorBytes(gguf.tensor("e.q4_0"));
        byte[] rawBack = new byte[raw.remaining()];
        raw.get(rawBack);
        assertArrayEquals(q4, rawBack);
        long lastEnd = gguf.fileOffset(gguf.tensor("e.q4_0")) + q4.length;
        assertEquals(GgufReader.alignUp(lastEnd, 32), Files.size(file), "the last tensor is padded too");
    }

    private static float[] viaF16(float[] values) {
        float[] r = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            r[i] = Float.float16ToFloat(Float.floatToFloat16(values[i]));
        }
        return r;
    }

    @Test
    void customAlignmentIsHonoured() throws IOException {
        Path file = dir.resolve("aligned.gguf");
        new GgufWriter()
                .putUInt32(GgufReader.ALIGNMENT_KEY, 256)
                .addTensor("x", GgmlType.F32, new long[] {3}, new float[] {1, 2, 3})
                .addTensor("y", GgmlType.F32, new long[] {1}, new float[] {4})
                .write(file);
        GgufFile gguf = GgufReader.read(file);
        assertEquals(256, gguf.alignment());
        assertEquals(0, gguf.dataOffset() % 256);
        assertEquals(256, gguf.tensor("y").offset());
        assertArrayEquals(new float[] {4}, gguf.readTensorFloats("y"));
    }

    @Test
    void sameInputGivesSameBytes() throws IOException {
        Path first = dir.resolve("1.gguf");
        Path second = dir.resolve("2.gguf");
        everyValueType().addTensor("t", GgmlType.F16, new long[] {4, 4}, ramp(16)).write(first);
        everyValueType().addTensor("t", GgmlType.F16, new long[] {4, 4}, ramp(16)).write(second);
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
        assertEquals(List.of("1.gguf", "2.gguf"), listNames(), "no temporary files left behind");
    }

    private List<String> listNames() throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void gettersWidenIntegersAndNameTheFileOnMistakes() throws IOException {
        Path file = dir.resolve("getters.gguf");
        everyValueType().write(file);
        GgufMetadata m = GgufReader.read(file).metadata();

        assertEquals(255, m.getInt("u8"));
        assertEquals(7, m.getInt("absent", 7));
        assertEquals((float) Math.PI, m.getFloat("f64"));
        var tooBig = assertThrows(GgufFormatException.class, () -> m.getLong("u64"));
        assertTrue(tooBig.getMessage().contains("18446744073709551615"), tooBig.getMessage());
        assertThrows(GgufFormatException.class, () -> m.getInt("u32"));
        var missing = assertThrows(GgufFormatException.class, () -> m.getString("general.name"));
        assertEquals(file + " lacks the metadata key 'general.name'.", missing.getMessage());
        var wrongType = assertThrows(GgufFormatException.class, () -> m.getString("u8"));
        assertEquals(file + " has metadata key 'u8' of type u8, not a string.", wrongType.getMessage());
        assertThrows(GgufFormatException.class, () -> m.getStringArray("arr.i32"));
        assertThrows(GgufFormatException.class, () -> m.getFloatArray("arr.f64"));
        assertThrows(GgufFormatException.class, () -> m.getIntArray("arr.u32"));
    }

    /** A file written by llama.cpp's gguf-py: reading it and writing it back must give the same bytes. */
    @Test
    void rewritingLlamaCppsVocabFileReproducesItExactly() throws IOException {
        String vocab = dev.jseek.models.TestVocab.path().map(Path::toString).orElse(null);
        assumeTrue(vocab != null, "set -Djseek.vocab or JSEEK_VOCAB");
        GgufFile original = GgufReader.read(Path.of(vocab));
        assertEquals(102400, original.metadata().getStringArray("tokenizer.ggml.tokens").size());
        assertEquals("deepseek-llm", original.metadata().getString("tokenizer.ggml.pre"));
        Path copy = dir.resolve("copy.gguf");
        new GgufWriter().putAll(original.metadata().asMap()).write(copy);
        assertArrayEquals(Files.readAllBytes(Path.of(vocab)), Files.readAllBytes(copy));
    }

    @Test
    void writerRejectsWhatGgmlWouldNot() {
        var writer = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> writer.putUInt32("", 1));
        assertThrows(IllegalArgumentException.class, () -> writer.putInt32(GgufReader.ALIGNMENT_KEY, 32));
        assertThrows(IllegalArgumentException.class, () -> writer.putUInt32(GgufReader.ALIGNMENT_KEY, 48));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.Int.uint8(256));
        assertThrows(IllegalArgumentException.class, () -> GgufValue.Int.uint32(-1));
        assertThrows(IllegalArgumentException.class,
                () -> writer.addTensor("q", GgmlType.Q8_0, new long[] {16}, new float[16]), "not whole blocks");
        assertThrows(IllegalArgumentException.class,
                () -> writer.addTensor("n", GgmlType.F32, new long[] {2, 2}, new float[3]), "value count");
        assertThrows(IllegalArgumentException.class,
                () -> writer.addTensor("x".repeat(64), GgmlType.F32, new long[] {1}, new float[1]), "name length");
        assertThrows(IllegalArgumentException.class,
                () -> writer.addTensor("q4", GgmlType.Q4_0, new long[] {32}, new float[32]), "no float codec");
        writer.addTensor("t", GgmlType.F32, new long[] {1}, new float[1]);
        assertThrows(IllegalArgumentException.class,
                () -> writer.addTensor("t", GgmlType.F32, new long[] {1}, new float[1]), "duplicate");
    }
}
