package dev.jseek.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/** Buffered little-endian writes to a channel, counting bytes so that padding can be computed. */
final class LittleEndianOutput {
    private static final int BUFFER_BYTES = 1 << 20;

    private final WritableByteChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private long written;

    LittleEndianOutput(WritableByteChannel channel) {
        this.channel = channel;
    }

    /** Bytes written so far, including those still buffered. */
    long position() {
        return written + buffer.position();
    }

    void u8(int v) throws IOException {
        room(1).put((byte) v);
    }

    void u16(int v) throws IOException {
        room(2).putShort((short) v);
    }

    void u32(int v) throws IOException {
        room(4).putInt(v);
    }

    void u64(long v) throws IOException {
        room(8).putLong(v);
    }

    void f32(float v) throws IOException {
        room(4).putFloat(v);
    }

    void f64(double v) throws IOException {
        room(8).putDouble(v);
    }

    /** A GGUF string: u64 byte length, then the UTF-8 bytes. */
    void string(String s) throws IOException {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        u64(bytes.length);
        bytes(bytes);
    }

    void bytes(byte[] bytes) throws IOException {
        int done = 0;
        while (done < bytes.length) {
            if (!buffer.hasRemaining()) {
                flush();
            }
            int chunk = Math.min(bytes.length - done, buffer.remaining());
            buffer.put(bytes, done, chunk);
            done += chunk;
        }
    }

    /** Writes {@code data}'s remaining bytes straight to the channel, after what is buffered. */
    void bytes(ByteBuffer data) throws IOException {
        flush();
        while (data.hasRemaining()) {
            written += channel.write(data);
        }
    }

    /** Zero bytes up to the next multiple of {@code alignment}. */
    void pad(int alignment) throws IOException {
        while (position() % alignment != 0) {
            u8(0);
        }
    }

    void flush() throws IOException {
        buffer.flip();
        while (buffer.hasRemaining()) {
            written += channel.write(buffer);
        }
        buffer.clear();
    }

    private ByteBuffer room(int n) throws IOException {
        if (buffer.remaining() < n) {
            flush();
        }
        return buffer;
    }
}
