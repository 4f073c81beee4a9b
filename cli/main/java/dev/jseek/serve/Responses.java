package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writing whole responses, and turning any failure into the OpenAI error it is answered with. */
final class Responses {
    private Responses() {
    }

    static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        send(exchange, status, "application/json", body.toString());
    }

    static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType + "; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** The error a failure is answered with: its own for an {@link ApiError}, else a 500 that names it. */
    static ApiError error(Throwable t) {
        if (t instanceof ApiError a) {
            return a;
        }
        String message = t.getMessage() == null ? t.toString() : t.getMessage();
        return new ApiError(500, "server_error", "internal_error", "The server failed on this request: " + message);
    }
}
