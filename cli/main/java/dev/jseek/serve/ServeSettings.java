package dev.jseek.serve;

import dev.jseek.chat.ChatOptions;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * How the server runs.
 *
 * @param host           the address to bind (127.0.0.1 by default)
 * @param port           the port; 0 = any free one
 * @param apiKey         the Bearer key every request except /health must carry; null = none (loopback only)
 * @param parallel       slots: conversations generated together, each a sequence of one shared context
 * @param queue          most requests waiting for a slot before the server answers 503
 * @param maxBody        largest request body in bytes (413 beyond)
 * @param cors           the origin allowed to call from a browser; null = no CORS headers
 * @param modelId        the id /v1/models lists and responses carry
 * @param options        each request's defaults (sampling, max tokens, reasoning budget) and each slot's context
 *                       size; requests change the former
 * @param templateSource a Jinja chat template to use instead of the model's; null = the model's own
 * @param templateName   names templateSource in errors
 * @param shutdownBound  how long shutdown waits for in-flight requests to end after cancelling them
 */
public record ServeSettings(String host, int port, String apiKey, int parallel, int queue, long maxBody, String cors,
                            String modelId, ChatOptions options, String templateSource, String templateName,
                            Duration shutdownBound) {
    public ServeSettings {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be in 0..65535 (0 = any free port), not " + port);
        }
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1, not " + parallel);
        }
        if (parallel > options.context().batchSize()) {
            // each step decodes the next token of every slot in one batch of at most --batch-size tokens
            throw new IllegalArgumentException("--parallel " + parallel + " is more than --batch-size " + options.context().batchSize()
                    + ": each step decodes one token of every slot in one batch; give --batch-size " + parallel + " or more, or fewer slots");
        }
        if (queue < 0) {
            throw new IllegalArgumentException("--queue must be 0 or more, not " + queue);
        }
        if (maxBody < 1) {
            throw new IllegalArgumentException("--max-body must be at least 1 byte, not " + maxBody);
        }
        if (apiKey != null && apiKey.isBlank()) {
            throw new IllegalArgumentException("--api-key must not be blank");
        }
        if (apiKey == null && !isLoopback(host)) {
            throw new IllegalArgumentException("binding " + host + " exposes the model beyond this machine: give --api-key KEY "
                    + "(clients send it as 'Authorization: Bearer KEY'), or bind 127.0.0.1");
        }
    }

    /** Whether every address the host name stands for is this machine's loopback. */
    static boolean isLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) {
                if (!a.isLoopbackAddress()) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--host " + host + " is not an address or a known host name");
        }
    }
}
