package dev.jseek.internal;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Owns one native pointer and the function that frees it: freed exactly once, however often close() is
 * called and from whichever thread. Every use runs under a lock that close() waits for, so a pointer is never
 * freed while a native call is using it, and any use after close throws IllegalStateException.
 * <ul>
 *   <li>{@link #shared}: any number of threads at once (objects llama.cpp reads only, e.g. a model);</li>
 *   <li>{@link #exclusive}: one thread at a time; a second thread is refused at once, never queued
 *       (objects with mutable state, e.g. a context, whose misuse must fail loudly).</li>
 * </ul>
 */
public final class NativeHandle implements AutoCloseable {
    private final String what;
    private final Consumer<MemorySegment> free;
    private final OwnerLock lock = new OwnerLock();
    private volatile MemorySegment pointer;

    public NativeHandle(String what, MemorySegment pointer, Consumer<MemorySegment> free) {
        if (pointer.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException(what + ": NULL pointer");
        }
        this.what = what;
        this.pointer = pointer;
        this.free = free;
    }

    /** Runs a native call that may overlap with others on the same object; close() waits for it. */
    public <T> T shared(Function<MemorySegment, T> action) {
        lock.readLock().lock();
        try {
            return action.apply(live());
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Runs a native call that must be the only one on this object; a call from a second thread while one runs
     * throws IllegalStateException naming the thread that holds it. Re-entrant on the same thread.
     */
    public <T> T exclusive(Function<MemorySegment, T> action) {
        if (!lock.writeLock().tryLock()) {
            Thread owner = lock.owner();
            throw new IllegalStateException("This " + what + " is in use by thread "
                    + (owner == null ? "(another)" : owner.getName()) + "; it serves one thread at a time.");
        }
        try {
            return action.apply(live());
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Holds the handle open, as {@link #shared} does, across several statements (e.g. a constructor that must
     * register with its parent before the parent can close). Close the lease on the thread that took it.
     */
    public Lease lease() {
        lock.readLock().lock();
        try {
            return new Lease(live());
        } catch (RuntimeException e) {
            lock.readLock().unlock();
            throw e;
        }
    }

    /** An open {@link #lease()}: the pointer stays valid until it is closed. */
    public final class Lease implements AutoCloseable {
        private final MemorySegment pointer;

        private Lease(MemorySegment pointer) {
            this.pointer = pointer;
        }

        public MemorySegment pointer() {
            return pointer;
        }

        @Override
        public void close() {
            lock.readLock().unlock();
        }
    }

    private MemorySegment live() {
        MemorySegment p = pointer;
        if (p == null) {
            throw new IllegalStateException(what + " is closed");
        }
        return p;
    }

    public boolean isClosed() {
        return pointer == null;
    }

    /** Waits for any use in progress, then frees the pointer; later calls do nothing. */
    @Override
    public void close() {
        close(() -> { });
    }

    /**
     * Waits for any use or lease in progress, runs {@code beforeFree} while no new one can begin (e.g. closing
     * what was made from this object), then frees the pointer; later calls do nothing.
     */
    public void close(Runnable beforeFree) {
        lock.writeLock().lock();
        try {
            MemorySegment p = pointer;
            if (p != null) {
                try {
                    beforeFree.run();
                } finally {
                    pointer = null;
                    free.accept(p);
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Exposes the owning thread for the error message. */
    private static final class OwnerLock extends ReentrantReadWriteLock {
        Thread owner() {
            return getOwner();
        }
    }
}
