package dev.jseek.chat;

import dev.jseek.Batch;
import dev.jseek.Context;
import dev.jseek.ContextParams;
import dev.jseek.DecodeException;
import dev.jseek.Generator;
import dev.jseek.JseekException;
import dev.jseek.Model;
import dev.jseek.Sampler;
import dev.jseek.SamplerParams;
import dev.jseek.Utf8Stream;
import dev.jseek.Vocab;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Objects;

/**
 * Many independent conversations answered at once, as parallel sequences of one context (continuous
 * batching): every step decodes one batch holding a token for each sequence that is generating plus chunks of
 * the prompts of sequences that are starting; when a sequence finishes, its slot takes the next waiting
 * request at once. Each request gets its own sampler and reasoning split, and its own result or error: one
 * failing request never stops the others.
 *
 * <p>The context's size is shared: each of the {@code parallel} slots holds
 * {@link Context#sequenceContextSize()} tokens. One thread runs {@link #run}; {@link #cancel()} from any thread.
 */
public final class BatchChat implements AutoCloseable {
    private final Model model;
    private final Vocab vocab;
    private final ChatPrompt prompt;
    /** The model's own template when the options name none: the batch made it and closes it. */
    private final ChatTemplate ownedTemplate;
    /** What the prompt is rendered with (thinking on or off). */
    private final ChatOptions promptOptions;
    private final Context context;
    private final Batch batch;
    private final Options options;
    /** What closes a reasoning block whose budget is spent (the same text as {@link ChatSession}'s). */
    private final int[] forcedClose;

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
        this.vocab = model.vocab();
        this.options = options;
        this.ownedTemplate = options.template() == null ? ChatTemplate.of(model) : null;
        try {
            this.prompt = new ChatPrompt(vocab, options.template() != null ? options.template() : ownedTemplate);
            this.promptOptions = ChatOptions.defaults().withThinking(options.thinking());
            this.forcedClose = vocab.tokenize(ChatSession.FORCED_CLOSE, false, true);
            this.context = model.newContext(options.context());
        } catch (RuntimeException e) {
            if (ownedTemplate != null) {
                ownedTemplate.close();
            }
            throw e;
        }
        try {
            this.batch = new Batch(context.batchSize(), 1);
        } catch (RuntimeException e) {
            context.close();
            if (ownedTemplate != null) {
                ownedTemplate.close();
            }
            throw e;
        }
    }

    /** Parallel slots. */
    public int parallel() {
        return context.sequences();
    }

    /** Stops the run soon; unfinished requests end as CANCELLED. Safe from any thread. */
    public void cancel() {
        context.cancel();
    }

    /** Answers every request; returns the results in request order. */
    public List<Result> run(List<Request> requests, Listener listener) {
        context.resetCancel();
        Result[] results = new Result[requests.size()];
        Deque<Integer> waiting = new ArrayDeque<>();
        for (int i = 0; i < requests.size(); i++) {
            waiting.add(i);
        }
        Slot[] slots = new Slot[context.sequences()];
        try {
            while (true) {
                fill(slots, waiting, requests, results, listener);
                if (Arrays.stream(slots).allMatch(Objects::isNull)) {
                    break;
                }
                if (!step(slots)) {
                    break; // cancelled
                }
                for (int s = 0; s < slots.length; s++) {
                    Slot slot = slots[s];
                    if (slot != null && slot.sampleIndex >= 0) {
                        slot.sampleNext(context, vocab);
                        if (slot.stop != null) {
                            finish(slots, s, results, listener);
                        }
                    }
                }
            }
        } finally {
            for (int s = 0; s < slots.length; s++) {
                if (slots[s] != null) {
                    slots[s].stop = Generator.StopReason.CANCELLED;
                    finish(slots, s, results, listener);
                }
            }
            while (!waiting.isEmpty()) {
                int i = waiting.poll();
                results[i] = failed(requests.get(i).id(), Generator.StopReason.CANCELLED, "cancelled before it started");
                listener.onFinished(results[i]);
            }
            context.resetCancel();
        }
        return List.of(results);
    }

    /** Gives each free slot the next request that can run; requests that cannot get an error result at once. */
    private void fill(Slot[] slots, Deque<Integer> waiting, List<Request> requests, Result[] results, Listener listener) {
        for (int s = 0; s < slots.length && !waiting.isEmpty(); s++) {
            if (slots[s] != null) {
                continue;
            }
            while (!waiting.isEmpty() && slots[s] == null) {
                int i = waiting.poll();
                Request r = requests.get(i);
                try {
                    slots[s] = start(i, r, s);
                } catch (RuntimeException e) {
                    results[i] = failed(r.id(), null, e.getMessage());
                    listener.onFinished(results[i]);
                }
            }
        }
    }

    private Slot start(int index, Request r, int sequence) {
        ChatPrompt.Built built = prompt.build(r.messages(), promptOptions);
        int[] tokens = built.tokens();
        int room = context.sequenceContextSize();
        if (tokens.length + 1 > room) {
            throw new JseekException("The prompt of request " + r.id() + " has " + tokens.length
                    + " tokens but a parallel slot holds " + room + "; shorten it, use fewer parallel sequences or a larger context.");
        }
        int maxTokens = r.maxTokens() != null ? r.maxTokens() : options.maxTokens();
        if (maxTokens < 1) {
            throw new IllegalArgumentException("request " + r.id() + " asks for " + maxTokens + " tokens; at least 1 is needed");
        }
        Sampler sampler = new Sampler(vocab, r.sampling() != null ? r.sampling() : options.sampling());
        context.removeTokens(sequence, 0, -1);
        return new Slot(index, r.id(), sequence, tokens, sampler, maxTokens, room, built.opensThinking(),
                options.reasoningBudget(), forcedClose);
    }

    /** Builds and decodes one batch; false if the run was cancelled. */
    private boolean step(Slot[] slots) {
        batch.clear();
        for (Slot slot : slots) {
            if (slot != null && slot.pending >= 0) {
                slot.sampleIndex = batch.size();
                batch.add(slot.pending, slot.position++, slot.sequence, true);
                slot.pending = -1;
            } else if (slot != null) {
                slot.sampleIndex = -1;
            }
        }
        for (Slot slot : slots) {
            while (slot != null && slot.fed < slot.prompt.length && batch.size() < batch.capacity()) {
                boolean last = slot.fed == slot.prompt.length - 1;
                if (last) {
                    slot.sampleIndex = batch.size();
                }
                batch.add(slot.prompt[slot.fed++], slot.position++, slot.sequence, last);
            }
            // a closed reasoning block: the last sampled token and the forced </think>, sampled after its end
            while (slot != null && slot.forced != null && slot.forcedFed < slot.forced.length && batch.size() < batch.capacity()) {
                boolean last = slot.forcedFed == slot.forced.length - 1;
                if (last) {
                    slot.sampleIndex = batch.size();
                }
                batch.add(slot.forced[slot.forcedFed++], slot.position++, slot.sequence, last);
            }
        }
        try {
            context.decode(batch);
            return true;
        } catch (DecodeException.Aborted e) {
            return false;
        }
    }

    private void finish(Slot[] slots, int s, Result[] results, Listener listener) {
        Slot slot = slots[s];
        slots[s] = null;
        slot.sampler.close();
        context.removeTokens(slot.sequence, 0, -1);
        results[slot.index] = slot.result();
        listener.onFinished(results[slot.index]);
    }

    private static Result failed(String id, Generator.StopReason stop, String error) {
        return new Result(id, "", "", stop, new ChatTurn.Stats(0, 0, 0, 0, 0, 0, 0, 0), error, new int[0]);
    }

    /** One running request. */
    private static final class Slot {
        final int index;
        final String id;
        final int sequence;
        final int[] prompt;
        final Sampler sampler;
        final int maxTokens;
        final int room;
        final Utf8Stream utf8 = new Utf8Stream();
        final StringBuilder reasoning = new StringBuilder();
        final StringBuilder answer = new StringBuilder();
        final ReasoningParser parser;
        final int reasoningBudget;
        final int[] forcedClose;
        /** Set once the budget is spent: tokens to decode before sampling goes on. */
        int[] forced;
        int forcedFed;
        int[] tokens = new int[16];
        final long started = System.nanoTime();
        int fed;
        int position;
        int pending = -1;
        int sampleIndex = -1;
        int generated;
        int reasoningTokens;
        long firstTokenAt;
        long reasoningStart;
        long reasoningEnd;
        Generator.StopReason stop;

        Slot(int index, String id, int sequence, int[] prompt, Sampler sampler, int maxTokens, int room, boolean prefilled,
             int reasoningBudget, int[] forcedClose) {
            this.index = index;
            this.reasoningBudget = reasoningBudget;
            this.forcedClose = forcedClose;
            this.id = id;
            this.sequence = sequence;
            this.prompt = prompt;
            this.sampler = sampler;
            this.maxTokens = maxTokens;
            this.room = room;
            this.parser = new ReasoningParser(prefilled, new ReasoningParser.Sink() {
                @Override
                public void reasoning(String text) {
                    reasoning.append(text);
                }

                @Override
                public void answer(String text) {
                    answer.append(text);
                }
            });
        }

        void sampleNext(Context context, Vocab vocab) {
            int token = sampler.sample(context, sampleIndex);
            long now = System.nanoTime();
            if (firstTokenAt == 0) {
                firstTokenAt = now;
            }
            if (vocab.isEndOfGeneration(token)) {
                stop = Generator.StopReason.END_OF_GENERATION;
                return;
            }
            if (generated == tokens.length) {
                tokens = Arrays.copyOf(tokens, generated * 2);
            }
            tokens[generated++] = token;
            parser.push(utf8.push(vocab.piece(token, true)));
            boolean budgetSpent = false;
            if (parser.phase() == ReasoningParser.Phase.REASONING) {
                reasoningTokens++;
                reasoningStart = reasoningStart == 0 ? now : reasoningStart;
                budgetSpent = reasoningBudget >= 0 && reasoningTokens >= reasoningBudget && forced == null;
            } else if (reasoningStart != 0 && reasoningEnd == 0) {
                reasoningEnd = now;
            }
            if (generated == maxTokens) {
                stop = Generator.StopReason.MAX_TOKENS;
            } else if (position >= room || (budgetSpent && position + 1 + forcedClose.length > room)) {
                stop = Generator.StopReason.CONTEXT_FULL;
            } else if (budgetSpent) {
                // Budget spent: close the reasoning block ourselves and let the model answer (as ChatSession does).
                parser.forceAnswer();
                for (int t : forcedClose) {
                    sampler.accept(t); // the penalties see the forced tokens too
                }
                forced = new int[forcedClose.length + 1];
                forced[0] = token;
                System.arraycopy(forcedClose, 0, forced, 1, forcedClose.length);
            } else {
                pending = token;
            }
        }

        Result result() {
            parser.push(utf8.flush());
            parser.finish();
            long end = System.nanoTime();
            long promptNanos = (firstTokenAt == 0 ? end : firstTokenAt) - started;
            long reasoningNanos = reasoningStart == 0 ? 0 : (reasoningEnd == 0 ? end : reasoningEnd) - reasoningStart;
            ChatTurn.Stats stats = new ChatTurn.Stats(prompt.length, fed, generated, reasoningTokens, promptNanos,
                    firstTokenAt == 0 ? 0 : firstTokenAt - started, reasoningNanos, firstTokenAt == 0 ? 0 : end - firstTokenAt);
            return new Result(id, reasoning.toString(), answer.toString(), stop, stats, null, Arrays.copyOf(tokens, generated));
        }
    }

    public Model model() {
        return model;
    }

    @Override
    public void close() {
        batch.close();
        context.close();
        if (ownedTemplate != null) {
            ownedTemplate.close();
        }
    }
}
