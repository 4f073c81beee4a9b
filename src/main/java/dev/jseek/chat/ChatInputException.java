package dev.jseek.chat;

import dev.jseek.InvalidRequestException;

/**
 * The conversation or its options cannot be served as asked: the caller's to change (a server answers it with
 * 400), not a failure of the model or the machine. The message is one sentence saying what to do.
 */
public final class ChatInputException extends InvalidRequestException {
    /** What is wrong. */
    public enum Kind {
        /** The conversation does not fit the context (and old turns may not be dropped). */
        CONTEXT_OVERFLOW,
        /** A reasoning-effort level the template does not know. */
        UNKNOWN_REASONING_EFFORT,
        /** Tool choice "required" on a template whose calls llama.cpp's grammar cannot constrain. */
        TOOL_CHOICE_UNENFORCEABLE,
        /** The template refused the conversation (its own raise_exception, arguments it cannot render). */
        TEMPLATE_REFUSED
    }

    private final Kind kind;

    public ChatInputException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public ChatInputException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
