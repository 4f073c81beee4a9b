package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jseek.Context;
import dev.jseek.ContextParams;
import dev.jseek.Generator;
import dev.jseek.Model;
import dev.jseek.Sampler;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ReplyOptions;
import dev.jseek.chat.StopStrings;
import dev.jseek.wire.OpenAiCompletion;
import dev.jseek.wire.OpenAiResult;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code POST /v1/completions}: the prompt's raw continuation, no chat template and no reasoning split. It has one
 * context of its own, made at the first such request (most clients never send one), and one request at a time
 * runs on it; the others wait in a {@link Gate} with the chat requests' queue bound.
 */
final class Completions implements AutoCloseable {
    private final Model model;
    private final ChatOptions defaults;
    private final String modelId;
    private final Gate gate;
    private final Metrics metrics;
    /** One platform thread: native calls pin a virtual thread's carrier. */
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform().name("jseek-completions").daemon(true).unstarted(r));
    private Context context;
    private Generator generator;
    private final AtomicBoolean busy = new AtomicBoolean();

    Completions(Model model, ChatOptions defaults, String modelId, int maxQueue, Metrics metrics) {
        this.model = model;
        this.defaults = defaults;
        this.modelId = modelId;
        this.gate = new Gate(maxQueue);
        this.metrics = metrics;
    }

    void handle(HttpExchange exchange, JsonNode body) throws IOException, InterruptedException {
        // the same reader and sentences as a chat request's for the shared fields: sampling, max_tokens, stop
        OpenAiCompletion.Request request = OpenAiCompletion.read(body, defaults.reply());
        ReplyOptions options = request.reply();
        String prompt = request.prompt();
        int maxTokens = options.maxTokens();
        boolean stream = request.stream();
        boolean includeUsage = request.includeUsage();
        String id = OpenAiResult.randomId("cmpl-");
        long created = System.currentTimeMillis() / 1000;
        EventStream events = stream ? new EventStream(exchange) : null;

        gate.enter();
        busy.set(true);
        Generator.Result result;
        StringBuilder text = new StringBuilder();
        StopStrings stops = new StopStrings(options.stopStrings(), piece -> {
            text.append(piece);
            if (events != null && !events.send(chunk(id, created, piece, null))) {
                context.cancel(); // the client is gone: on the generating thread, so no later request is hit
            }
        });
        try {
            result = await(thread.submit(() -> generate(prompt, options.sampling(), maxTokens, stops)));
        } finally {
            busy.set(false);
            gate.leave();
        }
        metrics.turn(result.stats().promptTokens(), 0, result.tokens().length, result.stats().generationNanos());
        if (result.stopReason() == Generator.StopReason.CANCELLED) {
            metrics.cancelled();
            if (events != null && events.gone()) {
                return;
            }
            throw new ApiError(503, "server_error", "cancelled", "The server is shutting down; the completion was cancelled.");
        }
        // a stop string ends the text as the end of generation would
        String finish = (stops.stopped() ? OpenAiResult.Finish.STOP : OpenAiResult.Finish.of(result.stopReason(), false)).wireName();
        ObjectNode usage = OpenAiResult.usage(result.stats().promptTokens(), result.tokens().length);
        if (events == null) {
            ObjectNode response = chunk(id, created, text.toString(), finish);
            response.set("usage", usage);
            Responses.send(exchange, 200, response);
            return;
        }
        events.send(chunk(id, created, "", finish));
        if (includeUsage) {
            ObjectNode last = header(id, created);
            last.putArray("choices");
            last.set("usage", usage);
            events.send(last);
        }
        events.done();
    }

    private Generator.Result generate(String prompt, SamplerParams sampling, int maxTokens, StopStrings stops) {
        if (context == null) {
            ContextParams params = defaults.context();
            context = model.newContext(params);
            generator = new Generator(context, 0);
        }
        generator.discardUndecodedToken();
        context.removeTokens(0, 0, -1); // each completion starts from an empty cache
        int[] tokens = model.vocab().tokenize(prompt, true, false);
        if (tokens.length + 1 > context.contextSize()) {
            throw ApiError.badRequest("context_length_exceeded", "The prompt needs " + tokens.length
                    + " tokens but the context holds " + context.contextSize() + "; shorten it or start the server with a larger --ctx-size.");
        }
        try (Sampler sampler = new Sampler(model.vocab(), sampling)) {
            Generator.Result r = generator.generate(tokens, sampler, maxTokens, (token, piece) -> {
                stops.push(piece);
                if (stops.stopped()) {
                    generator.requestStop();
                }
            });
            stops.finish();
            return r;
        } finally {
            context.resetCancel();
        }
    }

    private static Generator.Result await(java.util.concurrent.Future<Generator.Result> running) throws InterruptedException {
        try {
            return running.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Requests waiting for the completions context. */
    int waiting() {
        return gate.waiting();
    }

    /** Refuses waiting and later requests, and cancels a completion being generated (shutdown). */
    void cancel() {
        gate.close();
        if (busy.get() && context != null) {
            context.cancel();
        }
    }

    private ObjectNode header(String id, long created) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("id", id);
        node.put("object", "text_completion");
        node.put("created", created);
        node.put("model", modelId);
        return node;
    }

    private ObjectNode chunk(String id, long created, String text, String finish) {
        ObjectNode node = header(id, created);
        Responses.choice(node, finish).put("text", text);
        return node;
    }


    /** Stops taking work and waits (up to the deadline, System.nanoTime) for the one under way; true if none is left. */
    boolean awaitEnd(long deadline) throws InterruptedException {
        thread.shutdown();
        return thread.awaitTermination(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** Frees the context; only once no completion runs ({@link #awaitEnd} said so). */
    @Override
    public void close() {
        if (generator != null) {
            generator.close();
        }
        if (context != null) {
            context.close();
        }
    }
}
