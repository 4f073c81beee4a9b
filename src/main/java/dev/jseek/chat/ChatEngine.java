package dev.jseek.chat;

import dev.jseek.Context;
import dev.jseek.ContextParams;
import dev.jseek.Generator;
import dev.jseek.JseekException;
import dev.jseek.Model;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Conversations answered at once as parallel sequences of one context (continuous batching), for as long as the
 * engine runs: its thread steps the {@link DecodeLoop} over every running request; a request submitted while others
 * generate joins at the next step, and a finished or cancelled one leaves at once. Each request is a {@link Turn} with
 * its own {@link ReplyOptions} (the context and template are the engine's) and streams to its own
 * listener exactly as a session's turn does; one failing request never stops the others.
 *
 * <p>A sequence keeps its KV cache after its request ends: a new request goes to the free sequence whose tokens
 * share the longest prefix with its prompt, and decodes only the rest (a continued conversation finds its own).
 *
 * <p>The engine's thread calls the listeners (keep them quick: they hold every sequence up). {@link #submit} builds
 * the prompt on the caller's thread, so a request the engine cannot serve fails there and then. Each sequence holds
 * {@link Context#sequenceContextSize()} tokens.
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
    }

    /**
     * A finished request: the reply (its stats say how many prompt tokens came from the cache), the generated token
     * ids (reasoning included; not a forced {@code </think>}), and its sequence (-1: cancelled before it had one).
     */
    public record Reply(ChatTurn turn, int[] tokens, int sequence) {
    }

    /** A request being answered: its turn, listener and result (the engine's thread alone touches a running turn). */
    public final class Handle {
        private final Turn turn;
        private final Listener listener;
        private final CompletableFuture<Reply> result = new CompletableFuture<>();

        private Handle(Turn turn, Listener listener) {
            this.turn = turn;
            this.listener = listener;
        }

        /** Ends the request at the next step (waiting: at once) with stop reason CANCELLED; safe from any thread. */
        public void cancel() {
            ChatEngine.this.cancel(this);
        }

        /** Completes with the reply, or exceptionally with what failed the request. */
        public CompletableFuture<Reply> result() {
            return result;
        }
    }

    /** Every sequence is taken and the queue is full (or the engine is closing): try again later. */
    public static final class Busy extends JseekException {
        public Busy(String message) {
            super(message);
        }
    }

    private final ChatContext chat;
    private final Context context;
    private final DecodeLoop loop;
    private final int maxQueue;
    private final Thread thread;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Deque<Handle> waiting = new ArrayDeque<>();
    /** The request each sequence runs, or null: written under the lock, by the engine's thread only. */
    private final Handle[] running;
    private int runningCount;
    private boolean closed;
    /** Bumped by {@link #cancelAll}, which also aborts the decode under way; the loop then clears the abort. */
    private int cancelEpoch;
    /** The epoch whose abort the loop has cleared (engine thread only). */
    private int seenEpoch;
    private boolean freed;

    public ChatEngine(Model model, Options options) {
        this.maxQueue = options.maxQueue();
        this.chat = new ChatContext(model, options.template(), options.context());
        this.context = chat.context;
        this.loop = chat.loop;
        this.running = new Handle[context.sequences()];
        this.thread = Thread.ofPlatform().name("jseek-engine").daemon(true).start(this::loop);
    }

    /** Sequences: requests generated at once. */
    public int sequences() {
        return running.length;
    }

    /** Tokens one sequence holds (prompt and reply). */
    public int sequenceSize() {
        return loop.room();
    }

    /** Requests generating now. */
    public int busy() {
        return locked(() -> runningCount);
    }

    /** Requests waiting for a sequence. */
    public int waiting() {
        return locked(waiting::size);
    }

    private int locked(java.util.function.IntSupplier read) {
        lock.lock();
        try {
            return read.getAsInt();
        } finally {
            lock.unlock();
        }
    }

    /** Tokens sequence {@code s}'s KV cache holds now (kept after its request ended, for the next one to reuse). */
    public int heldTokens(int s) {
        return loop.heldCount(s);
    }

    /** What the template can do (thinking switch, reasoning efforts, tool calls). */
    public TemplateFeatures templateFeatures() {
        return chat.prompts.features();
    }

    /**
     * Queues a conversation for its reply, made as the options say (the context and template are the engine's).
     *
     * @throws ChatInputException when the prompt does not fit a sequence, or the template cannot render it as asked
     * @throws Busy               when every sequence is taken and the queue is full, or the engine is closing
     */
    public Handle submit(List<ChatMessage> messages, ReplyOptions options, Listener listener) {
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a request needs at least one message");
        }
        requireOpen(); // before the prompt is built: a closed engine's template may be gone
        Turn turn = chat.turn(new ArrayList<>(messages), options, listener, System.nanoTime());
        Handle job = new Handle(turn, listener);
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
            job.turn.close();
            throw e;
        }
        return job;
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
        List<Handle> dropped;
        lock.lock();
        try {
            dropped = new ArrayList<>(waiting);
            waiting.clear();
            for (Handle j : running) {
                if (j != null) {
                    j.turn.cancel();
                }
            }
            cancelEpoch++;
            context.cancel(); // under the lock, so the loop cannot clear it before it is set
            work.signal();
        } finally {
            lock.unlock();
        }
        dropped.forEach(ChatEngine::cancelBeforeStart);
    }

    /** Completes a request cancelled while it waited: CANCELLED, nothing generated, no sequence. */
    private static void cancelBeforeStart(Handle job) {
        job.turn.close();
        job.result.complete(new Reply(job.turn.cancelledBeforeStart(), new int[0], -1));
    }

    private void cancel(Handle job) {
        boolean wasWaiting;
        lock.lock();
        try {
            job.turn.cancel();
            wasWaiting = waiting.remove(job);
            work.signal();
        } finally {
            lock.unlock();
        }
        if (wasWaiting) {
            cancelBeforeStart(job);
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
        chat.close();
    }

    // ---- the engine's thread ----

    private void loop() {
        List<Integer> starting = new ArrayList<>();
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
            for (int s : starting) {
                start(s);
            }
            for (int s = 0; s < running.length; s++) {
                if (running[s] != null && running[s].turn.cancelled()) {
                    loop.release(s);
                    end(s, Generator.StopReason.CANCELLED);
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
            if (loop.busy()) {
                loop.step((s, turn, stop, failure) -> {
                    if (stop != null) {
                        end(s, stop);
                    } else {
                        fail(s, failure);
                    }
                });
            }
        }
    }

    /** Gives waiting requests the free sequences, each the one the loop finds best for its prompt. */
    private void admit(List<Integer> starting) {
        while (!waiting.isEmpty() && runningCount < running.length) {
            Handle job = waiting.poll();
            int best = loop.choose(job.turn.prompt(), s -> running[s] == null);
            running[best] = job;
            runningCount++;
            starting.add(best);
        }
    }

    /** Gives the request its sequence (the loop keeps the prefix it shares) and tells the listener. */
    private void start(int s) {
        Handle job = running[s];
        try {
            int reuse = loop.start(s, job.turn);
            job.listener.onStarted(s, reuse);
        } catch (RuntimeException | Error e) {
            loop.release(s);
            fail(s, e);
        }
    }

    private void end(int s, Generator.StopReason stop) {
        Handle job = running[s];
        Reply reply;
        try {
            reply = new Reply(job.turn.finish(stop), job.turn.tokens(), s);
        } catch (RuntimeException | Error e) {
            fail(s, e);
            return;
        }
        release(s);
        job.result.complete(reply);
    }

    private void fail(int s, Throwable e) {
        Handle job = running[s];
        release(s);
        job.result.completeExceptionally(e);
    }

    private void release(int s) {
        Handle job;
        lock.lock();
        try {
            job = running[s];
            running[s] = null;
            runningCount--;
        } finally {
            lock.unlock();
        }
        job.turn.close();
    }
}
