package dev.jseek.gguf;

import java.io.IOException;

/** A GGUF file that is malformed, truncated, or lacks what its reader asked for. The message names the file. */
public final class GgufFormatException extends IOException {
    public GgufFormatException(String message) {
        super(message);
    }

    public GgufFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
