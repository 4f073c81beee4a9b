package dev.jseek.chat;

import dev.jseek.Batch;
import dev.jseek.Context;
import dev.jseek.ContextParams;
import dev.jseek.DecodeException;
import dev.jseek.Generator;
import dev.jseek.JseekException;
import dev.jseek.Model;
import dev.jseek.Vocab;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Conversations answered at once as parallel sequences of one context (continuous batching), for as long as the
 * engine runs: each step decodes one batch holding a token for every sequence that is generating plus chunks of
 * the prompts of sequences that are starting; a request submitted while others generate joins at the next step, and
 * a finished or cancelled one leaves at once. Each request has its own settings (everything a {@link ChatSession}
 * turn has: sampling, token limit, stop strings, thinking, reasoning effort and budget, tools, grammar) and streams
 * to its own listener exactly as a session's turn does; one failing request never stops the others.
 *
 * <p>A sequence keeps its KV cache after its request ends: a new request goes to the free sequence whose tokens
 * share the longest prefix with its prompt, and decodes only the rest (a continued conversation finds its own).
 *
 * <p>One platform thread, the engine's, decodes and calls the listeners (keep them quick: they hold every
 * sequence up). {@link #submit} builds the prompt on the caller's thread, so a request the engine cannot serve
 * fails there and then. The context's size is shared: each sequence holds {@link Context#sequenceContextSize()}
 * tokens.
 */
public final class ChatEngine implements AutoCloseable {
    /**
     * @param template the chat template; null = the model's own (the engine makes and closes it)
     * @param context  context settings; {@code sequences()} is the number of requests generated at once
     * @param maxQueue most requests waiting for a sequence; one more is refused with {@link Busy}
     */
    public record Options(ChatTemplate template, ContextParams context, int maxQueue) {
        public Options {
            Objects.requireNonNull(context, "context");
            if (maxQueue < 0) {
                throw new IllegalArgumentException("the queue bound must be 0 or more, not " + maxQueue);
            }
        }
    }

    /** Streams a request's reply (as {@link ChatListener}) and says when it gets its sequence. */
    public interface Listener extends ChatListener {
        /**
         * The request has sequence {@code sequence}, whose KV cache already held {@code reusedTokens} of its prompt;
         * generation starts after this returns (on the engine's thread: everything waits for it).
         */
        default void onStarted(int sequence, int reusedTokens) {
        }

        static Listener of(ChatListener l) {
            return new Listener() {
                @Override
                public void onReasoning(String text) {
                    l.onReasoning(text);
                }

                @Override
                public void onAnswer(String text) {
                    l.onAnswer(text);
                }

                @Override
                public void onNotice(String message) {
                    l.onNotice(message);
                }
            };
        }
    }

    /**
     * A finished request: the reply (its stats say how many prompt tokens came from the cache), the generated token
     * ids (reasoning included; not a forced {@code </think>}), and its sequence (-1: cancelled before it had one).
     */
    public record Reply(ChatTurn turn, int[] tokens, int sequence) {
    }

    /** A request being answered. */
    public final class Handle {
        private final EngineRequest job;

        private Handle(EngineRequest job) {
            this.job = job;
        }

        /** Ends the request at the next step (waiting: at once) with stop reason CANCELLED; safe from any thread. */
        public void cancel() {
            ChatEngine.this.cancel(job);
        }

        /** Completes with the reply, or exceptionally with what failed the request. */
        public CompletableFuture<Reply> result() {
            return job.result;
        }
    }

    /** Every sequence is taken and the queue is full (or the engine is closing): try again later. */
    public static final class Busy extends JseekException {
        public Busy(String message) {
            super(message);
        }
    }

    private final Vocab vocab;
    private final ChatPrompt promptBuilder;
    /** The model's own template when the options name none: the engine made it and closes it. */
    private final ChatTemplate ownedTemplate;
    private final Context context;
    private final Batch batch;
    private final int maxQueue;
    private final int[] forcedClose;
    private final int room;
    private final Thread thread;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Deque<EngineRequest> waiting = new ArrayDeque<>();
    /** The request each sequence runs, or null: written under the lock, by the engine's thread only. */
    private final EngineRequest[] running;
    private int runningCount;
    private boolean closed;
    /** Bumped by {@link #cancelAll}, which also aborts the decode under way; the loop then clears the abort. */
    private int cancelEpoch;
    /** The epoch whose abort the loop has cleared (engine thread only). */
    private int seenEpoch;
    private boolean freed;

    /** The tokens each sequence's KV cache holds, in order (engine thread only), and their count for others. */
    private final int[][] held;
    private final AtomicIntegerArray heldCount;
    private final long[] lastUsed;
    /** The prompt length of each sequence's last request: what a continuation of its conversation would share. */
    private final int[] heldPrompt;
    private long clock;

    public ChatEngine(Model model, Options options) {
        this.vocab = model.vocab();
        this.maxQueue = options.maxQueue();
        this.ownedTemplate = options.template() == null ? ChatTemplate.of(model) : null;
        Context made = null;
        try {
            this.promptBuilder = new ChatPrompt(vocab, options.template() != null ? options.template() : ownedTemplate);
            this.forcedClose = vocab.tokenize(ReplyStream.FORCED_CLOSE, false, true);
            made = model.newContext(options.context());
            this.batch = new Batch(made.batchSize(), 1);
        } catch (RuntimeException e) {
            if (made != null) {
                made.close();
            }
            if (ownedTemplate != null) {
                ownedTemplate.close();
            }
            throw e;
        }
        this.context = made;
        this.room = context.sequenceContextSize();
        int n = context.sequences();
        this.running = new EngineRequest[n];
        this.held = new int[n][];
        for (int s = 0; s < n; s++) {
            held[s] = new int[64];
        }
        this.heldCount = new AtomicIntegerArray(n);
        this.lastUsed = new long[n];
        this.heldPrompt = new int[n];
        this.thread = Thread.ofPlatform().name("jseek-engine").daemon(true).start(this::loop);
    }

    /** Sequences: requests generated at once. */
    public int sequences() {
        return running.length;
    }

    /** Tokens one sequence holds (prompt and reply). */
    public int sequenceSize() {
        return room;
    }

    /** Requests generating now. */
    public int busy() {
        lock.lock();
        try {
            return runningCount;
        } finally {
            lock.unlock();
        }
    }

    /** Requests waiting for a sequence. */
    public int waiting() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    /** Tokens sequence {@code s}'s KV cache holds now (kept after its request ended, for the next one to reuse). */
    public int heldTokens(int s) {
        return heldCount.get(s);
    }

    /** What the template can do (thinking switch, reasoning efforts, tool calls). */
    public TemplateFeatures templateFeatures() {
        synchronized (promptBuilder) {
            return promptBuilder.features();
        }
    }

    /**
     * Queues a conversation for its reply. The options' context and template are the engine's (theirs are not
     * used); everything else is the request's own.
     *
     * @throws ChatInputException when the prompt does not fit a sequence, or the template cannot render it as asked
     * @throws Busy               when every sequence is taken and the queue is full, or the engine is closing
     */
    public Handle submit(List<ChatMessage> messages, ChatOptions options, Listener listener) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a request needs at least one message");
        }
        requireOpen(); // before the prompt is built: a closed engine's template may be gone
        EngineRequest job = new EngineRequest(promptBuilder, vocab, room, messages, options, listener);
        try {
            lock.lock();
            try {
                requireOpen();
                int free = running.length - runningCount;
                if (waiting.size() + 1 - free > maxQueue) {
                    throw new Busy("All " + running.length + " sequences are busy and " + waiting.size()
                            + " requests are waiting; retry shortly.");
                }
                waiting.add(job);
                work.signal();
            } finally {
                lock.unlock();
            }
        } catch (RuntimeException e) {
            job.close();
            throw e;
        }
        return new Handle(job);
    }

    private void requireOpen() {
        lock.lock();
        try {
            if (closed) {
                throw new Busy("The chat engine is closing; no new requests are taken.");
            }
        } finally {
            lock.unlock();
        }
    }

    /** Cancels every request, waiting or generating, and aborts the decode under way; safe from any thread. */
    public void cancelAll() {
        List<EngineRequest> dropped;
        lock.lock();
        try {
            dropped = new ArrayList<>(waiting);
            waiting.clear();
            for (EngineRequest j : running) {
                if (j != null) {
                    j.cancelled = true;
                }
            }
            cancelEpoch++;
            context.cancel(); // under the lock, so the loop cannot clear it before it is set
            work.signal();
        } finally {
            lock.unlock();
        }
        dropped.forEach(EngineRequest::cancelBeforeStart);
    }

    private void cancel(EngineRequest job) {
        boolean wasWaiting;
        lock.lock();
        try {
            job.cancelled = true;
            wasWaiting = waiting.remove(job);
            work.signal();
        } finally {
            lock.unlock();
        }
        if (wasWaiting) {
            job.cancelBeforeStart();
        }
    }

    /**
     * Cancels everything and stops the engine, waiting until {@code deadline} ({@link System#nanoTime}) for the
     * decode under way to end. True when it did and the context is freed; false when it is still running (the
     * native state stays allocated: the caller must not close the model under it).
     */
    public boolean shutdown(long deadline) throws InterruptedException {
        stopAccepting();
        if (!thread.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
            return false;
        }
        free();
        return true;
    }

    /** Refuses new requests from now on and cancels every one queued or running. */
    private void stopAccepting() {
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
        cancelAll();
    }

    @Override
    public void close() {
        stopAccepting();
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true; // the native state must outlive the loop: wait for it anyway
            }
        }
        free();
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void free() {
        if (freed) {
            return;
        }
        freed = true;
        batch.close();
        context.close();
        if (ownedTemplate != null) {
            ownedTemplate.close();
        }
    }

    // ---- the engine's thread ----

    private void loop() {
        List<EngineRequest> starting = new ArrayList<>();
        while (true) {
            starting.clear();
            lock.lock();
            try {
                while (!closed && waiting.isEmpty() && runningCount == 0) {
                    work.awaitUninterruptibly();
                }
                if (closed && waiting.isEmpty() && runningCount == 0) {
                    return;
                }
                admit(starting);
            } finally {
                lock.unlock();
            }
            for (EngineRequest j : starting) {
                start(j);
            }
            for (EngineRequest j : running) {
                if (j != null && j.cancelled) {
                    end(j, Generator.StopReason.CANCELLED);
                }
            }
            lock.lock();
            try {
                if (cancelEpoch != seenEpoch) {
                    // every request running when the abort was asked for is marked cancelled and ended above
                    seenEpoch = cancelEpoch;
                    context.resetCancel();
                }
            } finally {
                lock.unlock();
            }
            if (anyRunning()) {
                step();
            }
        }
    }

    private boolean anyRunning() {
        for (EngineRequest j : running) {
            if (j != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Gives waiting requests the free sequences: each the one sharing the longest prefix with its prompt, where a
     * sequence shares less than half of the prompt it last took counts as sharing nothing (a few common tokens, a
     * BOS and a role marker, are not worth throwing a conversation away for); among equals the least recently used.
     */
    private void admit(List<EngineRequest> starting) {
        while (!waiting.isEmpty() && runningCount < running.length) {
            EngineRequest job = waiting.poll();
            int best = -1;
            int bestShared = -1;
            for (int s = 0; s < running.length; s++) {
                if (running[s] != null) {
                    continue;
                }
                int shared = commonPrefix(held[s], heldCount.get(s), job.prompt);
                if (2 * shared < heldPrompt[s]) {
                    shared = 0;
                }
                if (shared > bestShared || (shared == bestShared && lastUsed[s] < lastUsed[best])) {
                    best = s;
                    bestShared = shared;
                }
            }
            job.sequence = best;
            running[best] = job;
            runningCount++;
            starting.add(job);
        }
    }

    /** Keeps the prefix the sequence shares with the prompt, removes the rest, and tells the listener. */
    private void start(EngineRequest job) {
        int s = job.sequence;
        int reuse = commonPrefix(held[s], heldCount.get(s), job.prompt);
        if (reuse == job.prompt.length) {
            reuse--; // decode at least one token, so there are fresh logits to sample from
        }
        try {
            if (!context.removeTokens(s, reuse, -1)) {
                context.removeTokens(s, 0, -1); // this memory cannot cut a sequence: start it afresh
                reuse = 0;
            }
            heldCount.set(s, reuse);
            heldPrompt[s] = job.prompt.length;
            job.fed = reuse;
            job.position = reuse;
            job.reused = reuse;
            job.startedAt = System.nanoTime();
            job.listener.onStarted(s, reuse);
        } catch (RuntimeException | Error e) {
            fail(job, e);
        }
    }

    /** Builds and decodes one batch, then samples the next token of every sequence that has logits. */
    private void step() {
        batch.clear();
        for (EngineRequest j : running) {
            if (j != null && j.pending >= 0) {
                j.sampleIndex = batch.size();
                feed(j, j.pending, true);
                j.pending = -1;
            } else if (j != null) {
                j.sampleIndex = -1;
            }
        }
        for (EngineRequest j : running) {
            while (j != null && j.fed < j.prompt.length && batch.size() < batch.capacity()) {
                boolean last = j.fed == j.prompt.length - 1;
                if (last) {
                    j.sampleIndex = batch.size();
                }
                feed(j, j.prompt[j.fed++], last);
            }
            // a closed reasoning block: the last sampled token and the forced </think>, sampled after its end
            while (j != null && j.forced != null && j.forcedFed < j.forced.length && batch.size() < batch.capacity()) {
                boolean last = j.forcedFed == j.forced.length - 1;
                if (last) {
                    j.sampleIndex = batch.size();
                }
                feed(j, j.forced[j.forcedFed++], last);
            }
        }
        try {
            context.decode(batch);
        } catch (RuntimeException e) {
            decodeFailed(e);
            return;
        }
        for (EngineRequest j : running) {
            if (j != null && j.sampleIndex >= 0) {
                try {
                    sampleNext(j);
                } catch (RuntimeException | Error e) {
                    fail(j, e);
                }
            }
        }
    }

    private void feed(EngineRequest j, int token, boolean logits) {
        int s = j.sequence;
        int n = heldCount.get(s);
        if (n == held[s].length) {
            held[s] = java.util.Arrays.copyOf(held[s], n * 2);
        }
        held[s][n] = token;
        heldCount.set(s, n + 1);
        batch.add(token, j.position++, s, logits);
    }

    /**
     * A decode that failed leaves each sequence as llama.cpp restored it (the failed part removed): the record is cut
     * to match, and the requests in the batch end (cancelled for an abort, failed otherwise).
     */
    private void decodeFailed(RuntimeException e) {
        for (EngineRequest j : running) {
            if (j == null) {
                continue;
            }
            int s = j.sequence;
            heldCount.set(s, Math.min(heldCount.get(s), Math.max(0, context.lastPosition(s) + 1)));
            if (e instanceof DecodeException.Aborted) {
                end(j, Generator.StopReason.CANCELLED);
            } else {
                fail(j, e);
            }
        }
    }

    private void sampleNext(EngineRequest j) {
        Generator.StopReason stop = j.sampleNext(context, vocab, forcedClose, room);
        if (stop != null) {
            end(j, stop);
        }
    }

    private void end(EngineRequest j, Generator.StopReason stop) {
        Reply reply;
        try {
            reply = j.finish(stop);
        } catch (RuntimeException | Error e) {
            fail(j, e);
            return;
        }
        release(j);
        j.result.complete(reply);
    }

    private void fail(EngineRequest j, Throwable e) {
        release(j);
        j.result.completeExceptionally(e);
    }

    private void release(EngineRequest j) {
        lock.lock();
        try {
            if (running[j.sequence] == j) {
                running[j.sequence] = null;
                runningCount--;
                lastUsed[j.sequence] = ++clock;
            }
        } finally {
            lock.unlock();
        }
        j.close();
    }

    private static int commonPrefix(int[] a, int aLength, int[] b) {
        int n = Math.min(aLength, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }
}
