package dev.jseek.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Malformed files must end in a GgufFormatException naming the file, never in OOM or another exception. */
class GgufReaderRejectsTest {
    @TempDir
    Path dir;

    /** Little-endian bytes for hand-made headers. */
    static final class Raw {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        static Raw header(long version, long tensors, long kvs) {
            return new Raw().u32(GgufReader.MAGIC).u32(version).u64(tensors).u64(kvs);
        }

        Raw u32(long v) {
            return bytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
        }

        Raw u64(long v) {
            return bytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }

        Raw str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            return u64(b.length).bytes(b);
        }

        Raw bytes(byte... b) {
            out.writeBytes(b);
            return this;
        }

        /** A u32 key/value pair. */
        Raw kv(String key, long value) {
            return str(key).u32(GgufType.UINT32.id()).u32(value);
        }

        /** A tensor info. */
        Raw tensor(String name, int type, long offset, long... shape) {
            str(name).u32(shape.length);
            for (long n : shape) {
                u64(n);
            }
            return u32(type).u64(offset);
        }

        byte[] toBytes() {
            return out.toByteArray();
        }
    }

    private GgufFormatException rejected(byte[] bytes) throws IOException {
        Path file = Files.write(dir.resolve("bad.gguf"), bytes);
        var e = assertThrows(GgufFormatException.class, () -> GgufReader.read(file));
        assertTrue(e.getMessage().startsWith(file.toString()), "message names the file: " + e.getMessage());
        assertTrue(e.getMessage().endsWith("."), "one sentence: " + e.getMessage());
        return e;
    }

    private String rejectedMessage(Raw raw) throws IOException {
        return rejected(raw.toBytes()).getMessage();
    }

    @Test
    void badMagic() throws IOException {
        assertTrue(rejected("GGML\3\0\0\0".getBytes(StandardCharsets.ISO_8859_1)).getMessage()
                .contains("does not start with the GGUF magic (found 'GGML')"));
        assertTrue(rejected(new byte[0]).getMessage().contains("too short"));
    }

    @Test
    void unsupportedVersions() throws IOException {
        assertTrue(rejectedMessage(Raw.header(1, 0, 0)).contains("version 1"));
        assertTrue(rejectedMessage(Raw.header(4, 0, 0)).contains("version 4"));
        assertTrue(rejectedMessage(Raw.header(0x0300_0000L, 0, 0)).contains("big-endian"));
        assertTrue(rejectedMessage(Raw.header(0, 0, 0)).contains("version 0"));
    }

    @Test
    void version2IsRead() throws IOException {
        Path file = Files.write(dir.resolve("v2.gguf"), Raw.header(2, 0, 1).kv("k", 7).toBytes());
        GgufFile gguf = GgufReader.read(file);
        assertEquals(2, gguf.version());
        assertEquals(7, gguf.metadata().getInt("k"));
    }

    @Test
    void absurdCountsAndLengths() throws IOException {
        assertTrue(rejectedMessage(Raw.header(3, Long.MAX_VALUE, 0)).contains("tensor count"));
        assertTrue(rejectedMessage(Raw.header(3, 0, -1)).contains("key/value count of 18446744073709551615"));
        assertTrue(rejectedMessage(Raw.header(3, 0, 1_000_000)).contains("key/value count"));
        assertTrue(rejectedMessage(Raw.header(3, 0, 1).u64(1L << 62).bytes(new byte[32]))
                .contains("string of 4611686018427387904 bytes"));
        assertTrue(rejectedMessage(Raw.header(3, 0, 1).str("arr").u32(GgufType.ARRAY.id()).u32(GgufType.INT64.id())
                .u64(Long.MAX_VALUE / 4).bytes(new byte[64])).contains("elements for the array under metadata key 'arr'"));
        assertTrue(rejectedMessage(Raw.header(3, 0, 1).str("arr").u32(GgufType.ARRAY.id()).u32(GgufType.STRING.id())
                .u64(1000).bytes(new byte[64])).contains("more than the file can hold"));
    }

    @Test
    void unknownTypes() throws IOException {
        assertTrue(rejectedMessage(Raw.header(3, 0, 1).str("k").u32(13).u32(0)).contains("unknown value type 13"));
        assertTrue(rejectedMessage(Raw.header(3, 0, 1).str("k").u32(GgufType.ARRAY.id()).u32(GgufType.ARRAY.id()).u64(0))
                .contains("array of arrays"));
        assertTrue(rejectedMessage(Raw.header(3, 1, 0).tensor("t", 4, 0, 32).bytes(new byte[64]))
                .contains("unknown or removed ggml type 4"));
        assertTrue(rejectedMessage(Raw.header(3, 1, 0).tensor("t", GgmlType.ID_LIMIT, 0, 32).bytes(new byte[64]))
                .contains("ggml type 43"));
    }

    @Test
    void keysAndNames() throws IOException {
        assertTrue(rejectedMessage(Raw.header(3, 0, 2).kv("k", 1).kv("k", 2)).contains("'k' twice"));
        assertTrue(rejectedMessage(Raw.header(3, 0, 1).kv("", 1)).contains("empty metadata key"));
        assertTrue(rejectedMessage(Raw.header(3, 0, 1).str("k").u32(GgufType.STRING.id()).u64(2).bytes((byte) 0xC3, (byte) 0x28))
                .contains("not valid UTF-8"));
        Raw twoTensors = Raw.header(3, 2, 0).tensor("t", 0, 0, 1).tensor("t", 0, 32, 1);
        assertTrue(rejectedMessage(twoTensors.bytes(new byte[128])).contains("two tensors named 't'"));
        assertTrue(rejectedMessage(Raw.header(3, 1, 0).tensor("x".repeat(64), 0, 0, 1).bytes(new byte[64]))
                .contains("name longer than 63 bytes"));
    }

    @Test
    void alignment() throws IOException {
        assertTrue(rejectedMessage(Raw.header(3, 0, 1).kv(GgufReader.ALIGNMENT_KEY, 48)).contains("not a power of 2"));
        assertTrue(rejectedMessage(Raw.header(3, 0, 1).kv(GgufReader.ALIGNMENT_KEY, 0)).contains("not a power of 2"));
        assertTrue(rejectedMessage(Raw.header(3, 0, 1).str(GgufReader.ALIGNMENT_KEY).u32(GgufType.INT32.id()).u32(32))
                .contains("must be u32"));
    }

    @Test
    void shapes() throws IOException {
        assertTrue(rejectedMessage(Raw.header(3, 1, 0).tensor("t", 0, 0, 1, 1, 1, 1, 1).bytes(new byte[64]))
                .contains("5 dimensions"));
        assertTrue(rejectedMessage(Raw.header(3, 1, 0).tensor("t", 0, 0, 4, -1).bytes(new byte[64]))
                .contains("negative dimension"));
        assertTrue(rejectedMessage(Raw.header(3, 1, 0).tensor("t", 0, 0, 1L << 40, 1L << 40).bytes(new byte[64]))
                .contains("more elements than a long can count"));
        assertTrue(rejectedMessage(Raw.header(3, 1, 0).tensor("t", 0, 0, 1L << 31, 1L << 31).bytes(new byte[64]))
                .contains("more bytes than a long can count"));
        assertTrue(rejectedMessage(Raw.header(3, 1, 0).tensor("t", GgmlType.Q4_0.id(), 0, 33).bytes(new byte[64]))
                .contains("not a multiple of the q4_0 block size 32"));
    }

    @Test
    void tensorDataLayout() throws IOException {
        // the header is 24 + 8+1 + 4 + 8 + 4 + 8 = 57 bytes, so data starts at 64
        String past = rejectedMessage(Raw.header(3, 1, 0).tensor("t", 0, 0, 16).bytes(new byte[7 + 63]));
        assertTrue(past.contains("running past its end at byte 127"), past);
        String gap = rejectedMessage(Raw.header(3, 1, 0).tensor("t", 0, 32, 1).bytes(new byte[7 + 64]));
        assertTrue(gap.contains("at data offset 32 where ggml expects 0"), gap);
        String huge = rejectedMessage(Raw.header(3, 1, 0).tensor("t", 0, -64, 1).bytes(new byte[7 + 64]));
        assertTrue(huge.contains("beyond any file"), huge);
    }

    @Test
    void everyTruncationIsAFormatError() throws IOException {
        Path file = dir.resolve("whole.gguf");
        GgufRoundTripTest.everyValueType()
                .addTensor("a", GgmlType.F32, new long[] {3}, new float[] {1, 2, 3})
                .addTensor("b", GgmlType.Q8_0, new long[] {32}, new float[32])
                .write(file);
        byte[] whole = Files.readAllBytes(file);
        GgufFile gguf = GgufReader.read(file);
        long lastDataByte = gguf.fileOffset(gguf.tensor("b")) + gguf.tensor("b").byteSize();
        for (int length = 0; length < lastDataByte; length++) {
            rejected(Arrays.copyOf(whole, length));
        }
    }

    @Test
    void randomCorruptionNeverEscapesAsAnotherException() throws IOException {
        Path source = dir.resolve("source.gguf");
        GgufRoundTripTest.everyValueType()
                .addTensor("a", GgmlType.F16, new long[] {8, 2}, new float[16])
                .write(source);
        byte[] original = Files.readAllBytes(source);
        Path file = dir.resolve("mutant.gguf");
        var random = new SplittableRandom(7);
        int accepted = 0;
        for (int round = 0; round < 1000; round++) {
            byte[] mutant = original.clone();
            for (int flips = 1 + random.nextInt(4); flips > 0; flips--) {
                int at = random.nextInt(Math.min(mutant.length, 900)); // the header, where lengths live
                mutant[at] = random.nextInt(3) == 0 ? (byte) 0xFF : (byte) random.nextInt(256);
            }
            Files.write(file, mutant);
            try {
                GgufReader.read(file);
                accepted++;
            } catch (GgufFormatException expected) {
                // fine
            } catch (Throwable other) {
                fail("round " + round + " threw " + other, other);
            }
        }
        assertTrue(accepted < 1000);
    }
}
