package dev.jseek.chat;

/**
 * A reply's text as it streams, reasoning and answer apart: as a listener hears it, or as {@link ReasoningParser}
 * emits it. For tests that compare what was streamed with what was returned.
 */
public class Transcript implements ChatEngine.Listener, ReasoningParser.Sink {
    public final StringBuilder reasoning = new StringBuilder();
    public final StringBuilder answer = new StringBuilder();

    @Override public void onReasoning(String text) { reasoning.append(text); }

    @Override public void onAnswer(String text) { answer.append(text); }

    @Override public void reasoning(String text) { onReasoning(text); }

    @Override public void answer(String text) { onAnswer(text); }
}
