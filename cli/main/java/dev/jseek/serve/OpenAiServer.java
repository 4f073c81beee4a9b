package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jseek.ContextParams;
import dev.jseek.Model;
import dev.jseek.chat.ChatEngine;
import dev.jseek.chat.ChatTemplate;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An OpenAI-compatible HTTP server over one model: {@code /v1/chat/completions} (JSON or server-sent events),
 * {@code /v1/completions}, {@code /v1/models}, {@code /health} and {@code /metrics}. The HTTP layer is the JDK's own
 * {@link HttpServer} with a virtual thread per exchange: streaming is a chunked body written token by token, and a
 * waiting request costs a parked virtual thread, so no dependency is needed for what a local model server does.
 * Chat requests are generated together by one {@link ChatEngine} (continuous batching over {@code --parallel}
 * sequences of one context) on its own platform thread: a native call pins a virtual thread's carrier.
 */
public final class OpenAiServer implements AutoCloseable {
    private final ServeSettings settings;
    private final HttpServer http;
    private final ExecutorService handlers;
    private final ChatEngine engine;
    /** The template made from --chat-template-file (closed after the engine), or null for the model's own. */
    private final ChatTemplate template;
    private final Metrics metrics = new Metrics();
    private final ChatCompletions completions;
    private final Completions textCompletions;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private final byte[] expectedAuthorization;
    private final long created = System.currentTimeMillis() / 1000;
    /** Exchanges being handled; shutdown waits for these, not for idle keep-alive connections. */
    private int inFlight;

    private OpenAiServer(Model model, ServeSettings settings, ServeHooks hooks) throws IOException {
        this.settings = settings;
        this.expectedAuthorization = settings.apiKey() == null ? null
                : ("Bearer " + settings.apiKey()).getBytes(StandardCharsets.UTF_8);
        this.template = settings.templateSource() == null ? null
                : ChatTemplate.jinja(model, settings.templateSource(), settings.templateName());
        try {
            // --ctx-size is each slot's, as in jseek batch: the shared context holds all of them
            ContextParams perSlot = settings.options().context();
            this.engine = new ChatEngine(model, new ChatEngine.Options(template, perSlot
                    .withContextSize(perSlot.contextSize() * settings.parallel()).withSequences(settings.parallel()), settings.queue()));
        } catch (RuntimeException e) {
            if (template != null) {
                template.close();
            }
            throw e;
        }
        this.completions = new ChatCompletions(engine, settings.options(), settings.modelId(), metrics, hooks);
        this.textCompletions = new Completions(model, settings.options(), settings.modelId(), settings.queue(), metrics);
        this.handlers = Executors.newVirtualThreadPerTaskExecutor();
        try {
            this.http = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 64);
        } catch (IOException e) {
            engine.close();
            if (template != null) {
                template.close();
            }
            throw new IOException("cannot listen on " + settings.host() + ":" + settings.port() + " (" + e.getMessage()
                    + "); choose another --port, or 0 for any free one", e);
        }
        http.setExecutor(handlers);
        http.createContext("/", this::handle);
        http.start();
    }

    /** Creates the shared context (one sequence per slot) and starts listening. */
    public static OpenAiServer start(Model model, ServeSettings settings) throws IOException {
        return new OpenAiServer(model, settings, ServeHooks.NONE);
    }

    static OpenAiServer start(Model model, ServeSettings settings, ServeHooks hooks) throws IOException {
        return new OpenAiServer(model, settings, hooks);
    }

    /** Tokens one slot (sequence) holds: the context size divided among the slots. */
    public int slotSize() {
        return engine.sequenceSize();
    }

    /** The address and port actually bound (the port is the chosen one when --port 0 was given). */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    /** http://HOST:PORT of the server. */
    public String url() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    private void handle(HttpExchange exchange) {
        synchronized (this) {
            inFlight++;
        }
        try {
            answer(exchange);
        } finally {
            synchronized (this) {
                inFlight--;
                notifyAll();
            }
        }
    }

    private void answer(HttpExchange exchange) {
        String path = exchange.getRequestURI().getPath();
        String endpoint = endpointOf(path);
        try (exchange) {
            if (settings.cors() != null) {
                exchange.getResponseHeaders().set("Access-Control-Allow-Origin", settings.cors());
                exchange.getResponseHeaders().set("Vary", "Origin");
                if (exchange.getRequestMethod().equals("OPTIONS")) {
                    exchange.getResponseHeaders().set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
                    exchange.getResponseHeaders().set("Access-Control-Allow-Headers", "Authorization, Content-Type");
                    exchange.getResponseHeaders().set("Access-Control-Max-Age", "600");
                    exchange.sendResponseHeaders(204, -1);
                    return;
                }
            }
            try {
                route(exchange, path, endpoint);
            } catch (Throwable t) {
                if (t instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                if (exchange.getResponseCode() == -1) {
                    ApiError error = Responses.error(t);
                    if (error.status() == 503) {
                        exchange.getResponseHeaders().set("Retry-After", "1");
                    }
                    if (error.status() == 401) {
                        exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                    }
                    if (error.status() == 500) {
                        System.err.println("jseek serve: " + exchange.getRequestMethod() + " " + path + " failed: " + t);
                    }
                    Responses.send(exchange, error.status(), error.toJson());
                }
            }
        } catch (IOException | RuntimeException e) {
            // the client went away while the answer was written: nothing left to tell it
        } finally {
            metrics.request(endpoint, exchange.getResponseCode());
        }
    }

    /** The endpoint's name (the metrics' label), or "other" for a path this server does not answer. */
    private static String endpointOf(String path) {
        return switch (path) {
            case "/health", "/v1/health" -> "health";
            case "/v1/models", "/models" -> "models";
            case "/metrics" -> "metrics";
            case "/v1/chat/completions", "/chat/completions" -> "chat_completions";
            case "/v1/completions", "/completions" -> "completions";
            default -> "other";
        };
    }

    private void route(HttpExchange exchange, String path, String endpoint) throws IOException, InterruptedException {
        String method = exchange.getRequestMethod();
        if (endpoint.equals("other")) {
            throw new ApiError(404, "invalid_request_error", "unknown_url", "Unknown path " + method + " " + path
                    + "; this server answers POST /v1/chat/completions, POST /v1/completions, GET /v1/models, GET /health and GET /metrics.");
        }
        if (!endpoint.equals("health")) {
            authorize(exchange);
        }
        String wanted = endpoint.endsWith("completions") ? "POST" : "GET";
        if (!method.equals(wanted)) {
            throw new ApiError(405, "invalid_request_error", "method_not_allowed", path + " takes " + wanted + ", not " + method + ".");
        }
        switch (endpoint) {
            case "health" -> Responses.send(exchange, 200, Json.MAPPER.createObjectNode().put("status", "ok"));
            case "models" -> Responses.send(exchange, 200, models());
            case "metrics" -> Responses.send(exchange, 200, "text/plain; version=0.0.4",
                    metrics.render(engine.busy(), engine.waiting() + textCompletions.waiting(), kvTokens(), engine.sequenceSize()));
            default -> {
                if (stopping.get()) {
                    throw new ApiError(503, "server_error", "shutting_down", "The server is shutting down.");
                }
                JsonNode body = Json.parse(readBody(exchange));
                if (endpoint.equals("completions")) {
                    textCompletions.handle(exchange, body);
                } else {
                    completions.handle(exchange, body);
                }
            }
        }
    }

    private void authorize(HttpExchange exchange) {
        if (expectedAuthorization == null) {
            return;
        }
        String given = exchange.getRequestHeaders().getFirst("Authorization");
        // constant-time: the comparison must not tell an attacker how much of the key was right
        if (given == null || !MessageDigest.isEqual(expectedAuthorization, given.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiError(401, "invalid_request_error", "invalid_api_key",
                    given == null ? "No API key given; send the header 'Authorization: Bearer KEY' with the server's --api-key."
                            : "Incorrect API key; send the server's --api-key as 'Authorization: Bearer KEY'.");
        }
    }

    /** Most bytes of a too-large body read and dropped, so that the client is sent its 413 instead of a reset. */
    private static final long DRAIN_LIMIT = 64L << 20;

    private byte[] readBody(HttpExchange exchange) throws IOException {
        long max = settings.maxBody();
        try (InputStream in = exchange.getRequestBody()) {
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (body.length > max) {
                // a client still sending when the connection closes sees a reset, not the answer: read the rest
                // first, up to a limit (beyond it the connection is closed and the client sees the reset)
                long drained = 0;
                byte[] buffer = new byte[64 * 1024];
                for (int n; drained < DRAIN_LIMIT && (n = in.read(buffer)) >= 0; ) {
                    drained += n;
                }
                throw tooLarge(max);
            }
            return body;
        }
    }

    private static ApiError tooLarge(long max) {
        return new ApiError(413, "invalid_request_error", "request_too_large",
                "The request body is larger than this server's limit of " + max + " bytes (--max-body).");
    }

    private ObjectNode models() {
        ObjectNode list = Json.MAPPER.createObjectNode();
        list.put("object", "list");
        ObjectNode model = list.putArray("data").addObject();
        model.put("id", settings.modelId());
        model.put("object", "model");
        model.put("created", created);
        model.put("owned_by", "jseek");
        return list;
    }

    private int[] kvTokens() {
        int[] held = new int[engine.sequences()];
        for (int i = 0; i < held.length; i++) {
            held[i] = engine.heldTokens(i);
        }
        return held;
    }

    /**
     * Stops gracefully within the settings' bound: stops accepting, refuses queued requests, cancels the replies being
     * generated, waits for their requests to end, then frees the context. Returns false when a generation did not end
     * in time: the context stays allocated then, and the caller must not close the model under it (the process is
     * ending).
     */
    public boolean shutdown() {
        if (!stopping.compareAndSet(false, true)) {
            return true;
        }
        engine.cancelAll(); // queued requests end as cancelled (503), running ones at the next step
        textCompletions.cancel();
        long deadline = System.nanoTime() + settings.shutdownBound().toNanos();
        boolean ended;
        try {
            // HttpServer.stop(delay) would also wait out idle keep-alive connections: wait for the requests only
            synchronized (this) {
                for (long left; inFlight > 0 && (left = deadline - System.nanoTime()) > 0; ) {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                }
            }
            http.stop(0);
            ended = engine.shutdown(deadline) & textCompletions.awaitEnd(deadline);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            http.stop(0);
            ended = false;
        }
        handlers.shutdownNow();
        if (ended) {
            if (template != null) {
                template.close();
            }
            textCompletions.close();
        }
        return ended;
    }

    @Override
    public void close() {
        shutdown();
    }
}
