package dev.jseek.internal;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Owns one native pointer and the function that frees it: freed exactly once, however often close() is
 * called and from whichever thread; any use after close throws IllegalStateException instead of touching
 * freed memory.
 */
public final class NativeHandle implements AutoCloseable {
    private final String what;
    private final AtomicReference<MemorySegment> pointer;
    private final Consumer<MemorySegment> free;

    public NativeHandle(String what, MemorySegment pointer, Consumer<MemorySegment> free) {
        if (pointer.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException(what + ": NULL pointer");
        }
        this.what = what;
        this.pointer = new AtomicReference<>(pointer);
        this.free = free;
    }

    public MemorySegment get() {
        MemorySegment p = pointer.get();
        if (p == null) {
            throw new IllegalStateException(what + " is closed");
        }
        return p;
    }

    public boolean isClosed() {
        return pointer.get() == null;
    }

    @Override
    public void close() {
        MemorySegment p = pointer.getAndSet(null);
        if (p != null) {
            free.accept(p);
        }
    }
}
