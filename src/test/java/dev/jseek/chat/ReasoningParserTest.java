package dev.jseek.chat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReasoningParserTest {

    private static final class Collect implements ReasoningParser.Sink {
        final StringBuilder reasoning = new StringBuilder();
        final StringBuilder answer = new StringBuilder();

        @Override
        public void reasoning(String text) {
            reasoning.append(text);
        }

        @Override
        public void answer(String text) {
            answer.append(text);
        }
    }

    private static Collect parse(boolean prefilled, String... pieces) {
        Collect c = new Collect();
        ReasoningParser p = new ReasoningParser(prefilled, c);
        for (String piece : pieces) {
            p.push(piece);
        }
        p.finish();
        return c;
    }

    @Test
    void prefilledTemplateStreamHoldsOnlyTheClosingTag() {
        Collect c = parse(true, "Let me think.", "</think>", "\n\n", "The answer is 4.");
        assertEquals("Let me think.", c.reasoning.toString());
        assertEquals("The answer is 4.", c.answer.toString());
    }

    @Test
    void modelThatOpensTheBlockItself() {
        Collect c = parse(false, "\n", "<think>", "hmm", "</think>", "Yes.");
        assertEquals("hmm", c.reasoning.toString());
        assertEquals("Yes.", c.answer.toString());
    }

    @Test
    void tagsSplitAcrossTokensAreRecognised() {
        Collect c = parse(false, "<th", "ink>", "a<", "/thi", "nk", ">b");
        assertEquals("a", c.reasoning.toString());
        assertEquals("b", c.answer.toString());
    }

    @Test
    void aLessThanThatIsNotATagIsNotSwallowed() {
        Collect c = parse(true, "x </th", "ey> y", "</think>z");
        assertEquals("x </they> y", c.reasoning.toString());
        assertEquals("z", c.answer.toString());
    }

    @Test
    void noReasoningAtAllIsAllAnswer() {
        Collect c = parse(false, "<b>", "bold</b>");
        assertEquals("", c.reasoning.toString());
        assertEquals("<b>bold</b>", c.answer.toString());
    }

    @Test
    void anUnclosedBlockAtTheEndIsReasoning() {
        Collect c = parse(true, "still thinking </thi");
        assertEquals("still thinking </thi", c.reasoning.toString());
        assertEquals("", c.answer.toString());
    }

    @Test
    void forcingTheAnswerEndsReasoning() {
        Collect c = new Collect();
        ReasoningParser p = new ReasoningParser(true, c);
        p.push("long thought");
        p.forceAnswer();
        p.push("\n\nanswer");
        p.finish();
        assertEquals("long thought", c.reasoning.toString());
        assertEquals("answer", c.answer.toString());
    }
}
