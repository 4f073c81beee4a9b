package dev.jseek.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.function.Supplier;

/**
 * Sequential little-endian reads from a file of known size through a small buffer. Every read first
 * checks that the file still holds the bytes, so a truncated file is a {@link GgufFormatException}
 * saying where the reader was ({@code context}), never an EOF surprise or a huge allocation.
 */
final class BoundedInput {
    private static final int BUFFER_BYTES = 1 << 16;

    private final FileChannel channel;
    private final long size;
    private final String source;
    private final Supplier<String> context;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN).limit(0);
    private long bufferStart; // file position of buffer index 0
    private long position;

    BoundedInput(FileChannel channel, String source, Supplier<String> context) throws IOException {
        this.channel = channel;
        this.size = channel.size();
        this.source = source;
        this.context = context;
    }

    long size() {
        return size;
    }

    long position() {
        return position;
    }

    long remaining() {
        return size - position;
    }

    /** Moves forward to {@code target}, which may be the end of the file but not beyond. */
    void skipTo(long target) throws GgufFormatException {
        if (target < position || target > size) {
            throw endsEarly();
        }
        position = target;
    }

    int u8() throws IOException {
        return buffer.get(take(1)) & 0xFF;
    }

    int u16() throws IOException {
        return buffer.getShort(take(2)) & 0xFFFF;
    }

    int i32() throws IOException {
        return buffer.getInt(take(4));
    }

    long u32() throws IOException {
        return Integer.toUnsignedLong(i32());
    }

    long i64() throws IOException {
        return buffer.getLong(take(8));
    }

    float f32() throws IOException {
        return Float.intBitsToFloat(i32());
    }

    double f64() throws IOException {
        return Double.longBitsToDouble(i64());
    }

    /** Reads {@code n} bytes; checks the file holds them before allocating anything. */
    byte[] bytes(long n) throws IOException {
        if (n < 0 || n > remaining() || n > Integer.MAX_VALUE - 8) {
            throw endsEarly();
        }
        byte[] result = new byte[(int) n];
        int done = 0;
        while (done < n) {
            int start = take(1);
            int chunk = Math.min((int) n - done, buffer.limit() - start);
            buffer.get(start, result, done, chunk);
            position += chunk - 1; // take(1) already advanced by one
            done += chunk;
        }
        return result;
    }

    GgufFormatException endsEarly() {
        return new GgufFormatException(source + " ends at byte " + size + " in the middle of " + context.get() + ".");
    }

    /** Makes the next n bytes available in the buffer, advances past them, and returns their buffer index. */
    private int take(int n) throws IOException {
        if (n > remaining()) {
            throw endsEarly();
        }
        if (position < bufferStart || position + n > bufferStart + buffer.limit()) {
            fill();
        }
        int index = (int) (position - bufferStart);
        position += n;
        return index;
    }

    private void fill() throws IOException {
        buffer.clear();
        bufferStart = position;
        long want = Math.min(BUFFER_BYTES, size - position);
        while (buffer.position() < want) {
            int n = channel.read(buffer, bufferStart + buffer.position());
            if (n < 0) {
                throw endsEarly(); // the file shrank under us
            }
        }
        buffer.flip();
    }
}
