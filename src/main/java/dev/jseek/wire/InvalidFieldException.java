package dev.jseek.wire;

import dev.jseek.InvalidRequestException;

import java.util.Locale;

/**
 * A request field that is wrong: one sentence naming the field and what to send. A caller error like any
 * {@link InvalidRequestException}; the {@link Code} is what an OpenAI-style server puts in its 400's {@code code}.
 */
public final class InvalidFieldException extends InvalidRequestException {
    /** OpenAI's error codes for a bad request. */
    public enum Code {
        INVALID_VALUE, UNKNOWN_PARAMETER, MISSING_REQUIRED_PARAMETER, INVALID_JSON;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final Code code;

    public InvalidFieldException(Code code, String message) {
        super(message);
        this.code = code;
    }

    static InvalidFieldException invalid(String message) {
        return new InvalidFieldException(Code.INVALID_VALUE, message);
    }

    public Code code() {
        return code;
    }
}
