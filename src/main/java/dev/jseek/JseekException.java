package dev.jseek;

/** Base of every error jseek reports: its message is one sentence a user can act on. */
public class JseekException extends RuntimeException {
    public JseekException(String message) {
        super(message);
    }

    public JseekException(String message, Throwable cause) {
        super(message, cause);
    }
}
