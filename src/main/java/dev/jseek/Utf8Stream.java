package dev.jseek;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns a stream of token pieces (bytes) into text without ever emitting half a character: a multi-byte
 * UTF-8 sequence split across tokens is held back until its last byte arrives. One per stream; not thread-safe.
 */
public final class Utf8Stream {
    private byte[] carry = new byte[0];

    /** Adds a piece; returns the text that is now complete (possibly empty). */
    public String push(byte[] piece) {
        byte[] bytes = carry.length == 0 ? piece : concat(carry, piece);
        int complete = completePrefixLength(bytes);
        carry = Arrays.copyOfRange(bytes, complete, bytes.length);
        return new String(bytes, 0, complete, StandardCharsets.UTF_8);
    }

    /** Ends the stream: any held-back incomplete character becomes U+FFFD. */
    public String flush() {
        String rest = new String(carry, StandardCharsets.UTF_8);
        carry = new byte[0];
        return rest;
    }

    /** Bytes held back, waiting for the rest of their character. */
    public int pendingBytes() {
        return carry.length;
    }

    /**
     * Length of the longest prefix that does not end inside a multi-byte sequence. Only the last three bytes
     * can start an unfinished sequence; malformed bytes are passed on (the decoder replaces them).
     */
    static int completePrefixLength(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int lead = b[n - back] & 0xFF;
            if ((lead & 0xC0) == 0x80) {
                continue; // continuation byte: keep looking for its lead
            }
            int needed = lead >= 0xF5 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC2 ? 2 : 1;
            return needed > back ? n - back : n;
        }
        return n;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
