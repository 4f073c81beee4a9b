package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jseek.Generator;
import dev.jseek.chat.ChatEngine;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatTurn;
import dev.jseek.wire.OpenAiChat;
import dev.jseek.wire.OpenAiResult;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * {@code POST /v1/chat/completions}: one request on one sequence of the shared {@link ChatEngine} (continuous
 * batching), answered as one JSON object or as server-sent events, with the reasoning in {@code reasoning_content}
 * beside {@code content} as DeepSeek's API sends it. The engine's thread only queues deltas; the request's own
 * (virtual) thread writes them, so a slow client never holds the other sequences up, and a write that fails cancels
 * the request: a streamed one at its next delta, a non-streaming one at its next {@link Heartbeat}.
 */
final class ChatCompletions {
    private final ChatEngine engine;
    private final ChatOptions defaults;
    private final String modelId;
    private final Metrics metrics;
    private final ServeHooks hooks;

    ChatCompletions(ChatEngine engine, ChatOptions defaults, String modelId, Metrics metrics, ServeHooks hooks) {
        this.engine = engine;
        this.defaults = defaults;
        this.modelId = modelId;
        this.metrics = metrics;
        this.hooks = hooks;
    }

    /** What the engine's thread hands the request's thread: a delta, or the end. */
    private record Delta(String field, String text) {
    }

    private static final Delta END = new Delta(null, null);

    void handle(HttpExchange exchange, JsonNode body) throws IOException, InterruptedException {
        // every value checked before the request queues
        OpenAiChat.Request request = OpenAiChat.read(body, defaults.reply());
        String id = OpenAiResult.randomId("chatcmpl-");
        long created = System.currentTimeMillis() / 1000;
        BlockingQueue<Delta> deltas = new LinkedBlockingQueue<>();
        // refused before anything was sent (a full queue, a prompt that does not fit): the exception is the answer
        ChatEngine.Handle handle = engine.submit(request.messages(), request.reply(), listener(deltas));
        handle.result().whenComplete((reply, failure) -> deltas.add(END));
        try {
            respond(exchange, request, handle, deltas, id, created);
        } finally {
            if (!handle.result().isDone()) {
                handle.cancel(); // this thread was interrupted or failed: nobody will read the reply
            }
        }
    }

    private void respond(HttpExchange exchange, OpenAiChat.Request request, ChatEngine.Handle handle, BlockingQueue<Delta> deltas,
                         String id, long created) throws IOException, InterruptedException {
        if (request.stream()) {
            stream(new EventStream(exchange), handle, deltas, id, created, request.includeUsage());
        } else {
            Heartbeat beat = new Heartbeat(exchange, hooks.heartbeat());
            beat.await(deltas, handle::cancel, END);
            ChatTurn turn;
            try {
                turn = outcome(handle, beat::gone);
            } catch (RuntimeException e) {
                if (beat.started()) {
                    beat.send(Responses.error(e).toJson()); // the 200 is out: the error is the body
                    return;
                }
                throw e;
            }
            if (turn != null) {
                beat.send(completion(id, created, turn));
            }
        }
    }

    private ChatEngine.Listener listener(BlockingQueue<Delta> deltas) {
        return new ChatEngine.Listener() {
            @Override
            public void onStarted(int sequence, int reusedTokens) {
                try {
                    hooks.slotTaken(sequence);
                } catch (InterruptedException e) {
                    throw new IllegalStateException("interrupted while the test hook held the request", e);
                }
            }

            @Override
            public void onReasoning(String text) {
                deltas.add(new Delta("reasoning_content", text));
            }

            @Override
            public void onAnswer(String text) {
                deltas.add(new Delta("content", text));
            }
        };
    }

    /** Writes the deltas as they come; once a write fails the request is cancelled and the rest is dropped. */
    private void stream(EventStream events, ChatEngine.Handle handle, BlockingQueue<Delta> deltas, String id, long created,
                        boolean includeUsage) throws InterruptedException, IOException {
        boolean first = true;
        for (Delta d = deltas.take(); d != END; d = deltas.take()) {
            if (events.gone()) {
                continue; // cancelled: wait for the engine to end it
            }
            if (first) {
                first = false;
                ObjectNode role = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "");
                events.send(chunk(id, created, role, null));
            }
            if (!events.send(chunk(id, created, Json.MAPPER.createObjectNode().put(d.field(), d.text()), null))) {
                handle.cancel();
            }
        }
        ChatTurn turn;
        try {
            turn = outcome(handle, events::gone);
        } catch (RuntimeException e) {
            if (events.started()) {
                // the 200 is out: the error becomes the stream's last event, as OpenAI's API ends a failed stream
                events.send(Responses.error(e).toJson());
                events.done();
                return;
            }
            throw e;
        }
        if (turn != null) {
            finish(events, id, created, turn, includeUsage);
        }
    }

    /**
     * The finished reply, counted in the metrics; null when the client went away (nobody to answer).
     *
     * @throws ApiError 503 when the reply was cancelled by a shutdown, or what failed the request
     */
    private ChatTurn outcome(ChatEngine.Handle handle, java.util.function.BooleanSupplier clientGone) {
        ChatEngine.Reply reply;
        try {
            reply = handle.result().join();
        } catch (java.util.concurrent.CompletionException e) {
            hooks.turnEnded(-1, null);
            throw unwrapped(e.getCause());
        }
        ChatTurn turn = reply.turn();
        hooks.turnEnded(reply.sequence(), turn);
        ChatTurn.Stats s = turn.stats();
        metrics.turn(s.promptTokens(), s.promptTokens() - s.decodedPromptTokens(), s.generatedTokens(), s.generationNanos());
        if (turn.stop() == Generator.StopReason.CANCELLED) {
            metrics.cancelled();
            if (clientGone.getAsBoolean()) {
                return null;
            }
            throw new ApiError(503, "server_error", "cancelled", "The server is shutting down; the reply was cancelled.");
        }
        return turn;
    }

    /** What failed the request, for {@link Responses#error} to answer. */
    private static RuntimeException unwrapped(Throwable cause) {
        return switch (cause) {
            case Error err -> throw err;
            case RuntimeException r -> r;
            default -> new IllegalStateException(cause);
        };
    }

    private void finish(EventStream events, String id, long created, ChatTurn turn, boolean includeUsage) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        if (!events.started()) {
            delta.put("role", "assistant").put("content", "");
        }
        if (!turn.toolCalls().isEmpty()) {
            ArrayNode calls = OpenAiResult.toolCalls(turn.toolCalls());
            for (int i = 0; i < calls.size(); i++) {
                ((ObjectNode) calls.get(i)).put("index", i);
            }
            delta.set("tool_calls", calls);
        }
        events.send(chunk(id, created, delta, OpenAiResult.Finish.of(turn).wireName()));
        if (includeUsage) {
            ObjectNode last = header(id, created, "chat.completion.chunk");
            last.putArray("choices");
            last.set("usage", OpenAiResult.usage(turn.stats()));
            events.send(last);
        }
        events.done();
    }

    private ObjectNode chunk(String id, long created, ObjectNode delta, String finishReason) {
        ObjectNode chunk = header(id, created, "chat.completion.chunk");
        Responses.choice(chunk, finishReason).set("delta", delta);
        return chunk;
    }

    private ObjectNode completion(String id, long created, ChatTurn turn) {
        ObjectNode response = header(id, created, "chat.completion");
        ObjectNode message = Responses.choice(response, OpenAiResult.Finish.of(turn).wireName()).putObject("message");
        message.put("role", "assistant");
        if (turn.answer().isEmpty() && !turn.toolCalls().isEmpty()) {
            message.putNull("content"); // OpenAI's shape for a reply that only calls tools
        } else {
            message.put("content", turn.answer());
        }
        if (!turn.reasoning().isEmpty()) {
            message.put("reasoning_content", turn.reasoning());
        }
        if (!turn.toolCalls().isEmpty()) {
            message.set("tool_calls", OpenAiResult.toolCalls(turn.toolCalls()));
        }
        response.set("usage", OpenAiResult.usage(turn.stats()));
        return response;
    }

    private ObjectNode header(String id, long created, String object) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("id", id);
        node.put("object", object);
        node.put("created", created);
        node.put("model", modelId);
        node.put("system_fingerprint", "jseek");
        return node;
    }
}
