package dev.jseek.cli;

import java.util.function.Consumer;

/**
 * Streams an answer but holds back a tool call's markup: llama.cpp's parser reads the calls only once the reply is
 * complete, and they are then shown as calls, not as the raw markup the model wrote. Every DeepSeek tool-call
 * format opens with a full-width bar marker ({@code <｜tool▁calls▁begin｜>}, {@code <｜DSML｜tool_calls>}), which
 * plain answer text does not contain; from the first one on, nothing more is printed.
 */
final class ToolMarkup {
    private static final String OPENER = "<\uFF5C";

    private final boolean active;
    private final Consumer<String> sink;
    private final StringBuilder pending = new StringBuilder();
    private boolean inMarkup;

    /** @param active whether the model has tools; without, everything passes straight through */
    ToolMarkup(boolean active, Consumer<String> sink) {
        this.active = active;
        this.sink = sink;
    }

    void accept(String text) {
        if (!active) {
            emit(text);
            return;
        }
        if (inMarkup || text.isEmpty()) {
            return;
        }
        pending.append(text);
        int at = pending.indexOf(OPENER);
        if (at >= 0) {
            inMarkup = true;
            emit(pending.substring(0, at));
            pending.setLength(0);
            return;
        }
        // a trailing '<' may be the start of a marker whose bar is in the next piece
        int keep = pending.charAt(pending.length() - 1) == '<' ? 1 : 0;
        emit(pending.substring(0, pending.length() - keep));
        pending.delete(0, pending.length() - keep);
    }

    /** The held-back '<', if it turned out to be text. */
    void finish() {
        if (!inMarkup) {
            emit(pending.toString());
        }
        pending.setLength(0);
    }

    private void emit(String text) {
        if (!text.isEmpty()) {
            sink.accept(text);
        }
    }
}
