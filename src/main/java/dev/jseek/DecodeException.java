package dev.jseek;

/**
 * llama_decode failed. Each documented return code has its own subclass; any other code
 * (below -1) is a fatal error in llama.cpp and leaves the context's memory in an unknown state.
 */
public sealed class DecodeException extends JseekException
        permits DecodeException.ContextFull, DecodeException.Aborted, DecodeException.InvalidBatch {

    private final int code;

    DecodeException(int code, String message) {
        super(message);
        this.code = code;
    }

    /** llama_decode's return value. */
    public int code() {
        return code;
    }

    /** Maps a non-zero llama_decode result to its exception. */
    static DecodeException of(int code, int batchTokens, int contextSize) {
        return switch (code) {
            case 1 -> new ContextFull(batchTokens, contextSize);
            case 2 -> new Aborted();
            case -1 -> new InvalidBatch();
            default -> new DecodeException(code, "llama.cpp failed to decode a batch of " + batchTokens
                    + " tokens (error " + code + "); run with --verbose to see llama.cpp's log.");
        };
    }

    /** Code 1: no KV-cache slot for the batch; the context (size given) is full. */
    public static final class ContextFull extends DecodeException {
        ContextFull(int batchTokens, int contextSize) {
            super(1, "The context of " + contextSize + " tokens has no room for " + batchTokens
                    + (batchTokens == 1 ? " more token" : " more tokens") + "; start a new session or use a larger context size.");
        }
    }

    /** Code 2: the abort callback stopped the computation (a cancel). */
    public static final class Aborted extends DecodeException {
        Aborted() {
            super(2, "Decoding was cancelled.");
        }
    }

    /** Code -1: the batch was rejected (bad token id, position or sequence id). */
    public static final class InvalidBatch extends DecodeException {
        InvalidBatch() {
            super(-1, "llama.cpp rejected the batch (invalid token, position or sequence id).");
        }
    }
}
