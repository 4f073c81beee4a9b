package dev.jseek;

/** The llama.cpp libraries could not be found or loaded; the message lists every place that was tried. */
public final class NativeLibraryException extends JseekException {
    public NativeLibraryException(String message) {
        super(message);
    }

    public NativeLibraryException(String message, Throwable cause) {
        super(message, cause);
    }
}
