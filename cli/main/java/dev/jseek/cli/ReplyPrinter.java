package dev.jseek.cli;

import dev.jseek.chat.ChatListener;

import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStyle;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * Renders one streamed reply: reasoning according to the {@link ReasoningDisplay}, then the answer. On a plain
 * output (dumb terminal, pipe, --no-color) it writes no escape codes: reasoning is framed by text markers.
 */
final class ReplyPrinter implements ChatListener {
    private static final AttributedStyle THOUGHT = AttributedStyle.DEFAULT.faint().italic();
    private static final AttributedStyle NOTE = AttributedStyle.DEFAULT.faint();

    private final PrintWriter out;
    private final boolean styled;
    private final ReasoningDisplay display;
    private long reasoningStart;
    private long reasoningEnd;
    private int reasoningPieces;
    private boolean answering;

    ReplyPrinter(PrintWriter out, boolean styled, ReasoningDisplay display) {
        this.out = out;
        this.styled = styled;
        this.display = display;
    }

    @Override
    public void onReasoning(String text) {
        if (reasoningStart == 0) {
            reasoningStart = System.nanoTime();
            if (display == ReasoningDisplay.SHOW) {
                out.println(styled ? style(NOTE, "Thinking…") : "[thinking]");
            }
        }
        reasoningPieces++;
        switch (display) {
            case SHOW -> out.print(styled ? style(THOUGHT, text) : text);
            case COLLAPSE -> {
                if (styled) {
                    out.print("\r" + style(NOTE, "Thinking… " + reasoningPieces + " tokens") + "\u001b[K");
                } else if (reasoningPieces == 1) {
                    out.println("[thinking…]");
                }
            }
            case HIDE -> {
            }
        }
        out.flush();
    }

    @Override
    public void onAnswer(String text) {
        if (!answering) {
            answering = true;
            endReasoning();
        }
        out.print(text); // with tools, the runtime streams llama.cpp's parsed answer: no call markup reaches here
        out.flush();
    }

    @Override
    public void onNotice(String message) {
        out.println(styled ? style(NOTE, "[" + message + "]") : "[" + message + "]");
        out.flush();
    }

    /** Ends the reply's output (call once the turn is over, whatever happened). */
    void finish() {
        if (!answering) {
            endReasoning();
        }
        out.println();
        out.flush();
    }

    private void endReasoning() {
        if (reasoningStart == 0 || reasoningEnd != 0) {
            return;
        }
        reasoningEnd = System.nanoTime();
        String summary = String.format(Locale.ROOT, "Thought for %.1f s", (reasoningEnd - reasoningStart) / 1e9);
        switch (display) {
            case SHOW -> out.println(styled ? "\n" + style(NOTE, summary) : "\n[/thinking] " + summary);
            case COLLAPSE -> out.println(styled ? "\r" + style(NOTE, summary + " (/show reasoning to read it)") + "\u001b[K"
                    : summary + " (/show reasoning to read it)");
            case HIDE -> {
            }
        }
    }

    private static String style(AttributedStyle style, String text) {
        return new AttributedString(text, style).toAnsi();
    }
}
