package dev.jseek.internal;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * Runs native code whose stack depth grows with its input on a thread whose stack is sized for it.
 * llama.cpp's pre-tokenizer splits text with {@code std::regex}, which recurses once per character of a run it
 * cannot split (5,000 spaces, 8,000 '='): a Java thread's 1 MiB stack overflows at a few thousand, and a native
 * stack overflow ends the whole JVM. Short inputs run on the caller's thread; longer ones on a fresh platform
 * thread with {@link #STACK_BYTES_PER_INPUT_BYTE} bytes of stack per input byte (reserved address space; only
 * what the recursion touches is committed).
 */
public final class DeepStack {
    /**
     * Measured with llama-tokenize and DeepSeek's vocabulary under {@code ulimit -s 8192} (gcc 12, libstdc++,
     * x86-64): a run of 25,875 ASCII characters survives 8 MiB, i.e. 324 bytes of stack per byte (CJK: 108, emoji:
     * 10, since the regex walks characters). Two and a half times that leaves room for other compilers and vocabularies.
     */
    static final long STACK_BYTES_PER_INPUT_BYTE = 800;
    /** Inputs up to this many bytes run on the caller's thread: about 100 KiB of stack at the measured rate. */
    static final int INLINE_BYTES = 320;
    private static final long MIN_STACK = 16L << 20;

    private DeepStack() {
    }

    /** The stack a run over {@code inputBytes} bytes is given. */
    static long stackFor(long inputBytes) {
        return Math.max(MIN_STACK, inputBytes * STACK_BYTES_PER_INPUT_BYTE);
    }

    /** Runs {@code action}, on a thread with a deep enough stack when the input is long; rethrows what it throws. */
    public static <T> T run(long inputBytes, Supplier<T> action) {
        if (inputBytes <= INLINE_BYTES) {
            return action.get();
        }
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread worker = new Thread(null, () -> {
            try {
                result.set(action.get());
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "jseek-deep-stack", stackFor(inputBytes));
        worker.setDaemon(true);
        worker.start();
        boolean interrupted = false;
        while (true) {
            try {
                worker.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the native call cannot be stopped; finish waiting, then keep the interrupt
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return result.get();
    }
}
