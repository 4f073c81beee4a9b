package dev.jseek.chat;

import dev.jseek.ContextParams;
import dev.jseek.Generator;
import dev.jseek.Model;
import dev.jseek.SamplerParams;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A fixed list of independent conversations answered at once, as parallel sequences of one context (continuous
 * batching, by a {@link ChatEngine}): when a sequence finishes, it takes the next waiting request at once. Each
 * request gets its own sampler and reasoning split, and its own result or error: one failing request never stops
 * the others.
 *
 * <p>The context's size is shared: each of the {@code parallel} slots holds
 * {@link dev.jseek.Context#sequenceContextSize()} tokens. One thread runs {@link #run}; {@link #cancel()} from any
 * thread.
 */
public final class BatchChat implements AutoCloseable {
    private final Model model;
    private final Options options;
    private final ChatEngine engine;

    /**
     * @param template    the chat template; null = the model's own
     * @param context     context settings; {@code sequences()} is the number of parallel slots
     * @param sampling    default sampling (a request may bring its own)
     * @param maxTokens   default most tokens per reply, reasoning included
     * @param thinking    let reasoning models think
     * @param reasoningBudget most reasoning tokens per reply before {@code </think>} is forced; -1 = no limit
     */
    public record Options(ChatTemplate template, ContextParams context, SamplerParams sampling, int maxTokens, boolean thinking,
                          int reasoningBudget) {
        public Options {
            Objects.requireNonNull(context, "context");
            Objects.requireNonNull(sampling, "sampling");
            if (maxTokens < 1) {
                throw new IllegalArgumentException("max tokens per reply must be at least 1, not " + maxTokens);
            }
            if (reasoningBudget < -1) {
                throw new IllegalArgumentException("reasoning budget must be -1 (no limit) or at least 0, not " + reasoningBudget);
            }
        }

        /** No reasoning budget. */
        public Options(ChatTemplate template, ContextParams context, SamplerParams sampling, int maxTokens, boolean thinking) {
            this(template, context, sampling, maxTokens, thinking, -1);
        }

        /** 4 parallel sequences sharing 8192 tokens, DeepSeek-R1 sampling, 1024 tokens per reply. */
        public static Options defaults() {
            return new Options(null, ContextParams.defaults().withContextSize(8192).withSequences(4),
                    SamplerParams.deepSeekR1(), 1024, true);
        }

        public Options withParallel(int sequences) {
            return new Options(template, context.withSequences(sequences), sampling, maxTokens, thinking, reasoningBudget);
        }

        public Options withContext(ContextParams c) {
            return new Options(template, c, sampling, maxTokens, thinking, reasoningBudget);
        }

        public Options withSampling(SamplerParams s) {
            return new Options(template, context, s, maxTokens, thinking, reasoningBudget);
        }

        public Options withMaxTokens(int n) {
            return new Options(template, context, sampling, n, thinking, reasoningBudget);
        }

        public Options withThinking(boolean on) {
            return new Options(template, context, sampling, maxTokens, on, reasoningBudget);
        }

        public Options withTemplate(ChatTemplate t) {
            return new Options(t, context, sampling, maxTokens, thinking, reasoningBudget);
        }

        /** Most reasoning tokens per reply; then {@code </think>} is forced and the model answers (as in a ChatSession). */
        public Options withReasoningBudget(int tokens) {
            return new Options(template, context, sampling, maxTokens, thinking, tokens);
        }
    }

    /** One conversation to answer; sampling and maxTokens null = the batch's defaults. */
    public record Request(String id, List<ChatMessage> messages, SamplerParams sampling, Integer maxTokens) {
        public Request {
            Objects.requireNonNull(id, "id");
            messages = List.copyOf(messages);
            if (messages.isEmpty()) {
                throw new IllegalArgumentException("request " + id + " has no messages");
            }
        }

        public static Request of(String id, String userMessage) {
            return new Request(id, List.of(ChatMessage.user(userMessage)), null, null);
        }
    }

    /**
     * The outcome of one request: {@code error} is null on success, else one sentence (and the rest is empty).
     * {@code tokens} are the generated token ids, reasoning included (not the {@code </think>} forced after a
     * reasoning budget: the model did not choose those).
     */
    public record Result(String id, String reasoning, String answer, Generator.StopReason stop, ChatTurn.Stats stats,
                         String error, int[] tokens) {
        public boolean ok() {
            return error == null;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Result r && id.equals(r.id) && reasoning.equals(r.reasoning) && answer.equals(r.answer)
                    && stop == r.stop && stats.equals(r.stats) && Objects.equals(error, r.error) && Arrays.equals(tokens, r.tokens);
        }

        @Override
        public int hashCode() {
            return Objects.hash(id, answer, Arrays.hashCode(tokens));
        }

        @Override
        public String toString() {
            return "Result[" + id + ", " + stop + (error == null ? "" : ", " + error) + ", " + tokens.length + " tokens]";
        }
    }

    /** Told about each request as it finishes (in finishing order), so results can be written out at once. */
    @FunctionalInterface
    public interface Listener {
        void onFinished(Result result);
    }

    public BatchChat(Model model, Options options) {
        this.model = model;
        this.options = options;
        this.engine = new ChatEngine(model, new ChatEngine.Options(options.template(), options.context(), Integer.MAX_VALUE));
    }

    /** Parallel slots. */
    public int parallel() {
        return engine.sequences();
    }

    /** Stops the run soon; unfinished requests end as CANCELLED. Safe from any thread. */
    public void cancel() {
        engine.cancelAll();
    }

    /** Answers every request; returns the results in request order. */
    public List<Result> run(List<Request> requests, Listener listener) {
        Result[] results = new Result[requests.size()];
        BlockingQueue<Integer> finished = new LinkedBlockingQueue<>();
        ChatEngine.Handle[] handles = new ChatEngine.Handle[requests.size()];
        int pending = 0;
        try {
            for (int i = 0; i < requests.size(); i++) {
                Request r = requests.get(i);
                try {
                    handles[i] = engine.submit(r.messages(), optionsOf(r).reply(), new ChatEngine.Listener() { });
                    int index = i;
                    handles[i].result().whenComplete((reply, failure) -> finished.add(index));
                    pending++;
                } catch (RuntimeException e) {
                    results[i] = failed(r.id(), null, e.getMessage());
                    listener.onFinished(results[i]);
                }
            }
            boolean interrupted = false;
            while (pending > 0) {
                int i;
                try {
                    i = finished.take();
                } catch (InterruptedException e) {
                    interrupted = true;
                    cancel(); // the requests end at the next step: wait for them, then say so
                    continue;
                }
                pending--;
                results[i] = resultOf(requests.get(i).id(), handles[i]);
                listener.onFinished(results[i]);
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        } finally {
            for (ChatEngine.Handle h : handles) {
                if (h != null && !h.result().isDone()) {
                    h.cancel(); // the listener threw: the rest of the run is not wanted
                }
            }
        }
        return List.of(results);
    }

    /** A request's settings: the batch's, with the request's sampling and token limit. */
    private ChatOptions optionsOf(Request r) {
        int maxTokens = r.maxTokens() != null ? r.maxTokens() : options.maxTokens();
        if (maxTokens < 1) {
            throw new IllegalArgumentException("request " + r.id() + " asks for " + maxTokens + " tokens; at least 1 is needed");
        }
        return ChatOptions.defaults().withThinking(options.thinking()).withReasoningBudget(options.reasoningBudget())
                .withSampling(r.sampling() != null ? r.sampling() : options.sampling()).withMaxTokens(maxTokens);
    }

    private static Result resultOf(String id, ChatEngine.Handle handle) {
        ChatEngine.Reply reply;
        try {
            reply = handle.result().join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return failed(id, null, cause.getMessage() == null ? cause.toString() : cause.getMessage());
        }
        if (reply.sequence() < 0) {
            return failed(id, Generator.StopReason.CANCELLED, "cancelled before it started");
        }
        ChatTurn t = reply.turn();
        return new Result(id, t.reasoning(), t.answer(), t.stop(), t.stats(), null, reply.tokens());
    }

    private static Result failed(String id, Generator.StopReason stop, String error) {
        return new Result(id, "", "", stop, new ChatTurn.Stats(0, 0, 0, 0, 0, 0, 0, 0), error, new int[0]);
    }

    public Model model() {
        return model;
    }

    @Override
    public void close() {
        engine.close();
    }
}
