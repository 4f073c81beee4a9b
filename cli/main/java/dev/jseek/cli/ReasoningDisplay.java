package dev.jseek.cli;

import java.util.Locale;

/** How the REPL shows a model's reasoning. */
enum ReasoningDisplay {
    /** Stream it, dimmed, under a "Thinking" header. */
    SHOW,
    /** One status line while it runs, then a summary; /show reasoning prints it. */
    COLLAPSE,
    /** Nothing. */
    HIDE;

    static ReasoningDisplay parse(String s) {
        try {
            return valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("reasoning display must be show, hide or collapse, not '" + s + "'");
        }
    }

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
