package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A non-streaming response that notices a client which hung up. The JDK's server tells nobody that a socket
 * closed, and nothing is written to it while the reply is generated, so a client that left would keep its sequence
 * until the last token. Instead, once a reply has taken {@code interval}, the 200 goes out with a chunked body and a
 * space is written every interval: JSON allows whitespace before a value, so clients parse the body as usual, and
 * the write after the peer has gone fails, which cancels the request. The cost: from the first space on, the status
 * is 200 whatever happens (a later failure is the body's OpenAI error object), and such a body has no
 * Content-Length. A reply quicker than the interval is sent as before.
 */
final class Heartbeat {
    private static final byte[] SPACE = {' '};

    private final HttpExchange exchange;
    private final long interval;
    /** Set once the 200 is out: the chunked body the spaces and then the JSON go to. */
    private OutputStream body;
    private volatile boolean gone;

    Heartbeat(HttpExchange exchange, Duration interval) {
        this.exchange = exchange;
        this.interval = interval.toNanos();
    }

    /**
     * Takes from {@code events} until {@code end}, writing a space whenever an interval has passed (with a zero
     * interval: at once, and at every event); runs {@code onGone} once when a write fails.
     */
    <T> void await(BlockingQueue<T> events, Runnable onGone, T end) throws InterruptedException {
        long next = System.nanoTime() + interval;
        while (true) {
            long now = System.nanoTime();
            if (!gone && now - next >= 0) {
                beat();
                if (gone) {
                    onGone.run();
                }
                next = now + interval;
            }
            T event = gone || interval == 0 ? events.take() : events.poll(next - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (event == end) {
                return;
            }
        }
    }

    private void beat() {
        try {
            if (body == null) {
                exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                exchange.sendResponseHeaders(200, 0);
                body = exchange.getResponseBody();
            }
            body.write(SPACE);
            body.flush();
        } catch (IOException e) {
            gone = true;
        }
    }

    /** Whether a write failed: the client is gone. */
    boolean gone() {
        return gone;
    }

    /** Whether the status is out (the answer, or an error, can only be the body now). */
    boolean started() {
        return body != null;
    }

    /** The answer: a whole response, or the rest of the body begun by the spaces. */
    void send(JsonNode json) throws IOException {
        if (body == null) {
            Responses.send(exchange, 200, json);
            return;
        }
        body.write(json.toString().getBytes(StandardCharsets.UTF_8));
        body.close();
    }
}
