package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.jseek.Generator;
import dev.jseek.JseekException;
import dev.jseek.chat.ChatInputException;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatTurn;
import dev.jseek.chat.ToolCall;

import java.io.IOException;
import java.util.HexFormat;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

/**
 * {@code POST /v1/chat/completions}: one request on one slot, answered as one JSON object or as server-sent
 * events, with the reasoning in {@code reasoning_content} beside {@code content} as DeepSeek's API sends it.
 */
final class ChatCompletions {
    private final SlotPool pool;
    /** Platform threads, one per slot: native calls pin a virtual thread's carrier for the whole generation. */
    private final ExecutorService generators;
    private final ChatOptions defaults;
    private final String modelId;
    private final Metrics metrics;
    private final ServeHooks hooks;

    ChatCompletions(SlotPool pool, ExecutorService generators, ChatOptions defaults, String modelId, Metrics metrics,
                    ServeHooks hooks) {
        this.pool = pool;
        this.generators = generators;
        this.defaults = defaults;
        this.modelId = modelId;
        this.metrics = metrics;
        this.hooks = hooks;
    }

    void handle(HttpExchange exchange, JsonNode body) throws IOException, InterruptedException {
        ChatRequest request = ChatRequest.parse(body);
        ChatOptions options = request.options(defaults); // every value checked before the request queues
        String id = "chatcmpl-" + HexFormat.of().formatHex(randomBytes());
        long created = System.currentTimeMillis() / 1000;
        EventStream events = request.stream() ? new EventStream(exchange) : null;
        try {
            answer(exchange, request, options, id, created, events);
        } catch (RuntimeException e) {
            if (events != null && events.started()) {
                // the 200 is out: the error becomes the stream's last event, as OpenAI's API ends a failed stream
                events.send(Responses.error(e).toJson());
                events.done();
                return;
            }
            throw e;
        }
    }

    private void answer(HttpExchange exchange, ChatRequest request, ChatOptions options, String id, long created,
                        EventStream events) throws IOException, InterruptedException {
        Slot slot = pool.acquire(request.messages());
        ChatTurn turn = null;
        try {
            hooks.slotTaken(slot.index);
            ChatOptions slotOptions = slot.adopt(options);
            ChatListener listener = events == null ? ChatListener.silent() : streaming(events, slot, id, created);
            Future<ChatTurn> running = generators.submit(() -> {
                slot.busy = true;
                try {
                    slot.session.reconfigure(slotOptions);
                    slot.session.restoreHistory(request.history());
                    return slot.session.send(request.last(), listener);
                } finally {
                    slot.busy = false;
                    slot.history = slot.session.history();
                }
            });
            turn = await(running);
        } finally {
            pool.release(slot);
            hooks.turnEnded(slot.index, turn);
        }
        ChatTurn.Stats s = turn.stats();
        slot.kvTokens = s.promptTokens() + s.generatedTokens();
        metrics.turn(s.promptTokens(), s.generatedTokens(), s.generationNanos());
        if (turn.stop() == Generator.StopReason.CANCELLED) {
            metrics.cancelled();
            if (events != null && events.gone()) {
                return; // nobody to answer
            }
            throw new ApiError(503, "server_error", "cancelled", "The server is shutting down; the reply was cancelled.");
        }
        if (events == null) {
            Responses.send(exchange, 200, completion(id, created, turn));
        } else {
            finish(events, id, created, turn, request.includeUsage());
        }
    }

    private static ChatTurn await(Future<ChatTurn> running) throws InterruptedException {
        try {
            return running.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Error err) {
                throw err;
            }
            throw switch (cause) {
                case ApiError a -> a;
                case IllegalArgumentException i -> ApiError.invalidValue(i.getMessage());
                // the conversation or its options, not the server: the client's to fix
                case ChatInputException c when c.kind() == ChatInputException.Kind.CONTEXT_OVERFLOW ->
                        ApiError.badRequest("context_length_exceeded", c.getMessage());
                case ChatInputException c -> ApiError.invalidValue(c.getMessage());
                case RuntimeException r -> r;
                default -> new IllegalStateException(cause);
            };
        }
    }

    /** Streams reasoning and answer deltas; a write that fails cancels the generation at the next token. */
    private ChatListener streaming(EventStream events, Slot slot, String id, long created) {
        return new ChatListener() {
            private boolean first = true;

            @Override
            public void onReasoning(String text) {
                delta("reasoning_content", text);
            }

            @Override
            public void onAnswer(String text) {
                delta("content", text);
            }

            private void delta(String field, String text) {
                if (first) {
                    first = false;
                    ObjectNode role = Json.MAPPER.createObjectNode().put("role", "assistant").put("content", "");
                    send(chunk(id, created, role, null));
                }
                send(chunk(id, created, Json.MAPPER.createObjectNode().put(field, text), null));
            }

            private void send(ObjectNode event) {
                if (!events.send(event)) {
                    slot.session.cancel(); // on the generating thread itself, so it cannot cancel a later turn
                }
            }
        };
    }

    private void finish(EventStream events, String id, long created, ChatTurn turn, boolean includeUsage) {
        ObjectNode delta = Json.MAPPER.createObjectNode();
        if (!events.started()) {
            delta.put("role", "assistant").put("content", "");
        }
        if (!turn.toolCalls().isEmpty()) {
            ArrayNode calls = toolCalls(turn);
            for (int i = 0; i < calls.size(); i++) {
                ((ObjectNode) calls.get(i)).put("index", i);
            }
            delta.set("tool_calls", calls);
        }
        events.send(chunk(id, created, delta, finishReason(turn)));
        if (includeUsage) {
            ObjectNode last = header(id, created, "chat.completion.chunk");
            last.putArray("choices");
            last.set("usage", usage(turn));
            events.send(last);
        }
        events.done();
    }

    private ObjectNode chunk(String id, long created, ObjectNode delta, String finishReason) {
        ObjectNode chunk = header(id, created, "chat.completion.chunk");
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return chunk;
    }

    private ObjectNode completion(String id, long created, ChatTurn turn) {
        ObjectNode response = header(id, created, "chat.completion");
        ObjectNode choice = response.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
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
            message.set("tool_calls", toolCalls(turn));
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finishReason(turn));
        response.set("usage", usage(turn));
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

    private static ArrayNode toolCalls(ChatTurn turn) {
        ArrayNode calls = Json.MAPPER.createArrayNode();
        for (ToolCall call : turn.toolCalls()) {
            ObjectNode c = calls.addObject();
            c.put("id", call.id().isEmpty() ? "call_" + HexFormat.of().formatHex(randomBytes()) : call.id());
            c.put("type", "function");
            ObjectNode f = c.putObject("function");
            f.put("name", call.name());
            f.put("arguments", call.arguments());
        }
        return calls;
    }

    private static ObjectNode usage(ChatTurn turn) {
        ChatTurn.Stats s = turn.stats();
        ObjectNode usage = Json.MAPPER.createObjectNode();
        usage.put("prompt_tokens", s.promptTokens());
        usage.put("completion_tokens", s.generatedTokens());
        usage.put("total_tokens", s.promptTokens() + s.generatedTokens());
        usage.putObject("prompt_tokens_details").put("cached_tokens", s.promptTokens() - s.decodedPromptTokens());
        usage.putObject("completion_tokens_details").put("reasoning_tokens", s.reasoningTokens());
        return usage;
    }

    /** length before tool_calls: a call cut off by max_tokens is not one to run. */
    private static String finishReason(ChatTurn turn) {
        return switch (turn.stop()) {
            case MAX_TOKENS, CONTEXT_FULL -> "length";
            default -> turn.toolCalls().isEmpty() ? "stop" : "tool_calls";
        };
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }
}
