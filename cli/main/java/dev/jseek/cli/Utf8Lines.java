package dev.jseek.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Reads lines of bytes and decodes each one strictly as UTF-8 on its own, so one line that is not UTF-8 is that
 * line's error instead of ending the whole input (a Reader stops at the first bad byte with "Input length = 1").
 */
final class Utf8Lines implements AutoCloseable {
    /** One line: its text, or null and why it is not UTF-8. */
    record Line(String text, String error) {
    }

    private final InputStream in;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    Utf8Lines(InputStream in) {
        this.in = in.markSupported() ? in : new java.io.BufferedInputStream(in);
    }

    /** The next line without its line break ("\n" or "\r\n"), or null at the end of the input. */
    Line next() throws IOException {
        buffer.reset();
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            buffer.write(b);
        }
        if (b == -1 && buffer.size() == 0) {
            return null;
        }
        byte[] bytes = buffer.toByteArray();
        int length = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        try {
            String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length)).toString();
            return new Line(text, null);
        } catch (CharacterCodingException e) {
            return new Line(null, "the line is not valid UTF-8 (" + e.getMessage() + "); save the file as UTF-8");
        }
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
