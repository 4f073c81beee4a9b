package dev.jseek.chat;

/**
 * Splits a streamed reply into reasoning and answer at {@code <think>} … {@code </think>}. Works whether the
 * model writes {@code <think>} itself or the template pre-filled it (then the stream holds only
 * {@code </think>}), and when a tag arrives split over several tokens: text that could be the start of a
 * tag is held back until it is decided. Not thread-safe; one per reply.
 */
public final class ReasoningParser {
    static final String OPEN = "<think>";
    static final String CLOSE = "</think>";
    /**
     * Closes a reasoning block from outside the model: when its budget is spent, and after R1's always-open block when
     * thinking is off (its template has no switch).
     */
    static final String FORCED_CLOSE = "\n" + CLOSE + "\n\n";

    /** Where the parser is in the reply. */
    public enum Phase {
        /** Nothing but whitespace seen yet, and no prefill: a {@code <think>} may still come. */
        START,
        REASONING,
        ANSWER
    }

    /** Receives the parsed text. */
    public interface Sink {
        void reasoning(String text);

        void answer(String text);
    }

    private final Sink sink;
    private final StringBuilder pending = new StringBuilder();
    private Phase phase;
    private boolean answerStarted;

    /** @param prefilled true when the prompt already opened the reasoning block */
    public ReasoningParser(boolean prefilled, Sink sink) {
        this.sink = sink;
        this.phase = prefilled ? Phase.REASONING : Phase.START;
    }

    public Phase phase() {
        return phase;
    }

    public void push(String text) {
        pending.append(text);
        drain(false);
    }

    /** End of the reply: whatever is held back is emitted in the current phase. */
    public void finish() {
        drain(true);
    }

    /** Ends reasoning now (a reasoning budget ran out): the rest is answer. */
    public void forceAnswer() {
        drain(true);
        phase = Phase.ANSWER;
    }

    private void drain(boolean end) {
        while (pending.length() > 0) {
            switch (phase) {
                case START -> {
                    String s = pending.toString().stripLeading();
                    if (s.startsWith(OPEN)) {
                        pending.setLength(0);
                        pending.append(s.substring(OPEN.length()));
                        phase = Phase.REASONING;
                    } else if (!end && (s.isEmpty() || OPEN.startsWith(s))) {
                        return; // could still become <think>
                    } else {
                        phase = Phase.ANSWER;
                    }
                }
                case REASONING -> {
                    int close = pending.indexOf(CLOSE);
                    if (close >= 0) {
                        emitReasoning(pending.substring(0, close));
                        pending.delete(0, close + CLOSE.length());
                        phase = Phase.ANSWER;
                    } else {
                        int keep = end ? 0 : partialTagSuffix(pending, CLOSE);
                        emitReasoning(pending.substring(0, pending.length() - keep));
                        pending.delete(0, pending.length() - keep);
                        return;
                    }
                }
                case ANSWER -> {
                    String s = pending.toString();
                    pending.setLength(0);
                    if (!answerStarted) {
                        s = s.stripLeading(); // the blank lines after </think> are layout, not answer
                        if (s.isEmpty()) {
                            return;
                        }
                        answerStarted = true;
                    }
                    sink.answer(s);
                }
            }
        }
    }

    private void emitReasoning(String s) {
        if (!s.isEmpty()) {
            sink.reasoning(s);
        }
    }

    /** Length of the longest suffix of {@code text} that is a proper prefix of {@code tag}. */
    static int partialTagSuffix(CharSequence text, String tag) {
        for (int n = Math.min(tag.length() - 1, text.length()); n > 0; n--) {
            if (tag.startsWith(text.subSequence(text.length() - n, text.length()).toString())) {
                return n;
            }
        }
        return 0;
    }
}
