package dev.jseek;

/** A context too large for the memory its devices have free; the message names the largest that fits. */
public final class ContextSizeException extends JseekException {
    private final int largestFitting;

    ContextSizeException(String message, int largestFitting) {
        super(message);
        this.largestFitting = largestFitting;
    }

    /** The largest context size, in tokens (a multiple of 256), that fits with the same settings; 0 if none does. */
    public int largestFitting() {
        return largestFitting;
    }
}
