package dev.jseek.serve;

import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One request at a time through a bounded queue (the completions context): waiting parks a virtual thread, so a
 * full queue costs no platform threads; beyond the bound, or once closed, a 503.
 */
final class Gate {
    private final int maxQueue;
    private final ReentrantLock lock = new ReentrantLock(true); // fair: waiters are served in arrival order
    private final Condition free = lock.newCondition();
    private boolean held;
    private int waiting;
    private boolean closed;

    Gate(int maxQueue) {
        this.maxQueue = maxQueue;
    }

    /**
     * Waits for the gate and takes it.
     *
     * @throws ApiError 503 when the queue is full or the server is shutting down
     */
    void enter() throws InterruptedException {
        lock.lock();
        try {
            if (held) {
                if (waiting >= maxQueue) {
                    throw busy("The completions context is busy and " + waiting + " requests are waiting; retry shortly.");
                }
                waiting++;
                try {
                    while (held && !closed) {
                        free.await();
                    }
                } finally {
                    waiting--;
                }
            }
            if (closed) {
                throw busy("The server is shutting down.");
            }
            held = true;
        } finally {
            lock.unlock();
        }
    }

    void leave() {
        lock.lock();
        try {
            held = false;
            free.signal();
        } finally {
            lock.unlock();
        }
    }

    /** Refuses every waiting and later request. */
    void close() {
        lock.lock();
        try {
            closed = true;
            free.signalAll();
        } finally {
            lock.unlock();
        }
    }

    int waiting() {
        lock.lock();
        try {
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    private static ApiError busy(String message) {
        return new ApiError(503, "server_error", "server_busy", message);
    }
}
