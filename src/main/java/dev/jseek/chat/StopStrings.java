package dev.jseek.chat;

import java.util.List;
import java.util.function.Consumer;

/**
 * Cuts a text stream at the first stop string. Text that could be the start of a stop string is held back
 * until it is decided, so a listener never sees part of one. Not thread-safe; one per reply. Public for the
 * server's raw text completions, which have no chat turn.
 */
public final class StopStrings {
    private final List<String> stops;
    private final Consumer<String> out;
    private final StringBuilder pending = new StringBuilder();
    private boolean stopped;

    public StopStrings(List<String> stops, Consumer<String> out) {
        this.stops = List.copyOf(stops);
        this.out = out;
    }

    /** Whether a stop string has been seen (the text after it was dropped). */
    public boolean stopped() {
        return stopped;
    }

    public void push(String text) {
        if (stopped) {
            return;
        }
        pending.append(text);
        int cut = -1;
        for (String stop : stops) {
            int at = pending.indexOf(stop);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        if (cut >= 0) {
            emit(pending.substring(0, cut));
            pending.setLength(0);
            stopped = true;
            return;
        }
        int keep = 0;
        for (String stop : stops) {
            keep = Math.max(keep, ReasoningParser.partialTagSuffix(pending, stop));
        }
        emit(pending.substring(0, pending.length() - keep));
        pending.delete(0, pending.length() - keep);
    }

    /** End of the reply: held-back text was not a stop string after all. */
    public void finish() {
        if (!stopped) {
            emit(pending.toString());
        }
        pending.setLength(0);
    }

    private void emit(String s) {
        if (!s.isEmpty()) {
            out.accept(s);
        }
    }
}
