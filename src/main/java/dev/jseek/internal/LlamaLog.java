package dev.jseek.internal;

import dev.jseek.bindings.llama.ggml_log_callback;
import dev.jseek.bindings.llama.llama_h;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Routes llama.cpp's and ggml's log into the System.Logger "dev.jseek.llama". Everything goes at DEBUG
 * (details at TRACE), so the default logging configuration shows nothing; {@code --verbose} lowers the level.
 * The last error lines of each thread are kept so a failed call can say why (llama.cpp reports reasons only
 * through its log).
 */
public final class LlamaLog {
    public static final Logger LOGGER = System.getLogger("dev.jseek.llama");
    private static final int KEPT_ERRORS = 8;

    /** Text of the current line, per thread: llama.cpp sends lines in pieces (level CONT). */
    private static final ThreadLocal<StringBuilder> PENDING = ThreadLocal.withInitial(StringBuilder::new);
    private static final ThreadLocal<Integer> PENDING_LEVEL = ThreadLocal.withInitial(() -> 0);
    private static final ThreadLocal<Deque<String>> ERRORS = ThreadLocal.withInitial(ArrayDeque::new);
    /** A listener for this thread's log lines, for operations that report progress only through the log. */
    private static final ThreadLocal<java.util.function.Consumer<String>> LINE_LISTENER = new ThreadLocal<>();

    private LlamaLog() {
    }

    /** Installs the callback; its stub lives as long as the process, since llama.cpp keeps the pointer. */
    public static void install() {
        MemorySegment stub = ggml_log_callback.allocate(LlamaLog::onLog, Arena.global());
        llama_h.llama_log_set(stub, MemorySegment.NULL);
    }

    /** Runs an action with every llama.cpp log line this thread produces also given to the listener. */
    public static void withLineListener(java.util.function.Consumer<String> listener, Runnable action) {
        LINE_LISTENER.set(listener);
        try {
            action.run();
        } finally {
            LINE_LISTENER.remove();
        }
    }

    /** Forgets this thread's earlier errors (call before the native call whose failure you want explained). */
    public static void clearErrors() {
        ERRORS.get().clear();
    }

    /** This thread's error lines since {@link #clearErrors()}, joined; empty if llama.cpp logged none. */
    public static String recentErrors() {
        return String.join(" ", ERRORS.get());
    }

    /** The upcall: must never throw, or the JVM dies. */
    private static void onLog(int level, MemorySegment text, MemorySegment userData) {
        try {
            String piece = text.equals(MemorySegment.NULL) ? "" : text.reinterpret(Long.MAX_VALUE).getString(0);
            StringBuilder line = PENDING.get();
            if (level != llama_h.GGML_LOG_LEVEL_CONT()) {
                PENDING_LEVEL.set(level);
            }
            line.append(piece);
            int newline;
            while ((newline = line.indexOf("\n")) >= 0) {
                emit(PENDING_LEVEL.get(), line.substring(0, newline));
                line.delete(0, newline + 1);
            }
        } catch (Throwable t) {
            // Nothing can be done here: losing one log line is better than killing the process.
        }
    }

    private static void emit(int level, String line) {
        if (line.isBlank()) {
            return;
        }
        java.util.function.Consumer<String> listener = LINE_LISTENER.get();
        if (listener != null) {
            listener.accept(line);
        }
        if (level == llama_h.GGML_LOG_LEVEL_ERROR()) {
            Deque<String> errors = ERRORS.get();
            errors.addLast(line.strip());
            while (errors.size() > KEPT_ERRORS) {
                errors.removeFirst();
            }
        }
        Level mapped = level == llama_h.GGML_LOG_LEVEL_DEBUG() ? Level.TRACE : Level.DEBUG;
        if (LOGGER.isLoggable(mapped)) {
            LOGGER.log(mapped, line);
        }
    }
}
