package dev.jseek.serve;

import dev.jseek.chat.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Hands slots to requests: a free slot at once (the one whose conversation shares the longest prefix with the
 * request, so its KV cache is reused), else a place in a bounded queue, else a 503. Waiting parks a virtual thread,
 * so a full queue costs no platform threads.
 */
final class SlotPool {
    private final List<Slot> free;
    private final List<Slot> all;
    private final int maxQueue;
    private final ReentrantLock lock = new ReentrantLock(true); // fair: waiters are served in arrival order
    private final Condition released = lock.newCondition();
    private int waiting;
    private boolean closed;
    private long clock;

    SlotPool(List<Slot> slots, int maxQueue) {
        this.all = List.copyOf(slots);
        this.free = new ArrayList<>(slots);
        this.maxQueue = maxQueue;
    }

    /**
     * A slot for this conversation, waiting in the queue if none is free.
     *
     * @throws ApiError 503 when the queue is full or the server is shutting down
     */
    Slot acquire(List<ChatMessage> messages) throws InterruptedException {
        lock.lock();
        try {
            if (free.isEmpty()) {
                if (waiting >= maxQueue) {
                    throw busy("All " + all.size() + " slots are busy and " + waiting + " requests are waiting; retry shortly.");
                }
                waiting++;
                try {
                    while (free.isEmpty() && !closed) {
                        released.await();
                    }
                } finally {
                    waiting--;
                }
            }
            if (closed) {
                throw busy("The server is shutting down.");
            }
            Slot best = free.getFirst();
            int bestShared = best.sharedPrefix(messages);
            for (Slot s : free) {
                int shared = s.sharedPrefix(messages);
                if (shared > bestShared || (shared == bestShared && s.releasedAt < best.releasedAt)) {
                    best = s;
                    bestShared = shared;
                }
            }
            free.remove(best);
            return best;
        } finally {
            lock.unlock();
        }
    }

    void release(Slot slot) {
        lock.lock();
        try {
            slot.releasedAt = ++clock;
            free.add(slot);
            released.signalAll(); // chat and completion requests wait on the same condition: wake both kinds
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for the completions context (free when {@code busy} is false) in the same bounded queue, and takes it.
     *
     * @throws ApiError 503 when the queue is full or the server is shutting down
     */
    void waitForCompletionTurn(java.util.concurrent.atomic.AtomicBoolean busy) throws InterruptedException {
        lock.lock();
        try {
            if (busy.get()) {
                if (waiting >= maxQueue) {
                    throw busy("The completions context is busy and " + waiting + " requests are waiting; retry shortly.");
                }
                waiting++;
                try {
                    while (busy.get() && !closed) {
                        released.await();
                    }
                } finally {
                    waiting--;
                }
            }
            if (closed) {
                throw busy("The server is shutting down.");
            }
            busy.set(true);
        } finally {
            lock.unlock();
        }
    }

    void endCompletionTurn(java.util.concurrent.atomic.AtomicBoolean busy) {
        lock.lock();
        try {
            busy.set(false);
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Refuses every waiting and later request. */
    void close() {
        lock.lock();
        try {
            closed = true;
            released.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int busy() {
        lock.lock();
        try {
            return all.size() - free.size();
        } finally {
            lock.unlock();
        }
    }

    int queued() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    List<Slot> slots() {
        return all;
    }

    private static ApiError busy(String message) {
        return new ApiError(503, "server_error", "server_busy", message);
    }
}
