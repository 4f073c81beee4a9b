package dev.jseek.serve;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A request that gets an OpenAI-style error instead of an answer: {@code {"error": {"message", "type", "code"}}}
 * with an HTTP status. Thrown anywhere while a request is handled; the server turns it into the response.
 */
final class ApiError extends RuntimeException {
    private final int status;
    private final String type;
    private final String code;

    ApiError(int status, String type, String code, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
    }

    /** 400: the request is wrong in a way the client can fix. */
    static ApiError badRequest(String code, String message) {
        return new ApiError(400, "invalid_request_error", code, message);
    }

    static ApiError invalidValue(String message) {
        return badRequest("invalid_value", message);
    }

    int status() {
        return status;
    }

    ObjectNode toJson() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        error.put("code", code);
        return root;
    }
}
