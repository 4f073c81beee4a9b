package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A server-sent-event response: {@code data: JSON} events, then {@code data: [DONE]}. The 200 and its headers go
 * out with the first event, so a request that fails before generating anything still gets a proper error status.
 * A write that fails means the client is gone: the stream remembers it, and every later write is dropped.
 */
final class EventStream {
    private final HttpExchange exchange;
    private OutputStream body;
    private volatile boolean gone;

    EventStream(HttpExchange exchange) {
        this.exchange = exchange;
    }

    /** Sends one event; false (and nothing more is ever sent) once the client has gone away. */
    boolean send(JsonNode event) {
        return sendRaw(event.toString());
    }

    boolean done() {
        return sendRaw("[DONE]");
    }

    boolean started() {
        return body != null;
    }

    boolean gone() {
        return gone;
    }

    private boolean sendRaw(String data) {
        if (gone) {
            return false;
        }
        try {
            if (body == null) {
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
                exchange.getResponseHeaders().set("Cache-Control", "no-cache");
                exchange.getResponseHeaders().set("X-Accel-Buffering", "no"); // proxies must not hold events back
                exchange.sendResponseHeaders(200, 0);
                body = exchange.getResponseBody();
            }
            body.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
            body.flush();
            return true;
        } catch (IOException e) {
            gone = true;
            return false;
        }
    }
}
