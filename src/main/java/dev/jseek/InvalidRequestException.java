package dev.jseek;

/**
 * The caller asked for something that cannot be done as asked: a value out of range, a grammar that does not parse, a
 * JSON Schema llama.cpp's converter rejects, a conversation the template refuses or the context cannot hold. The
 * caller's to change, not a failure of the model or the machine: the CLI exits with its usage code, a server answers
 * 400. The message is one sentence naming the value and what to do.
 */
public class InvalidRequestException extends JseekException {
    public InvalidRequestException(String message) {
        super(message);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
