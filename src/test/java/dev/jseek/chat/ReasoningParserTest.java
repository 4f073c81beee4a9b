package dev.jseek.chat;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ReasoningParserTest {

    private static Transcript parse(boolean prefilled, String... pieces) {
        Transcript c = new Transcript();
        ReasoningParser p = new ReasoningParser(prefilled, c);
        for (String piece : pieces) {
            p.push(piece);
        }
        p.finish();
        return c;
    }

    @Test
    void prefilledTemplateStreamHoldsOnlyTheClosingTag() {
        Transcript c = parse(true, "Let me think.", "</think>", "\n\n", "The answer is 4.");
        assertEquals("Let me think.", c.reasoning.toString());
        assertEquals("The answer is 4.", c.answer.toString());
    }

    @Test
    void modelThatOpensTheBlockItself() {
        Transcript c = parse(false, "\n", "<think>", "hmm", "</think>", "Yes.");
        assertEquals("hmm", c.reasoning.toString());
        assertEquals("Yes.", c.answer.toString());
    }

    @Test
    void tagsSplitAcrossTokensAreRecognised() {
        Transcript c = parse(false, "<th", "ink>", "a<", "/thi", "nk", ">b");
        assertEquals("a", c.reasoning.toString());
        assertEquals("b", c.answer.toString());
    }

    @Test
    void aLessThanThatIsNotATagIsNotSwallowed() {
        Transcript c = parse(true, "x </th", "ey> y", "</think>z");
        assertEquals("x </they> y", c.reasoning.toString());
        assertEquals("z", c.answer.toString());
    }

    @Test
    void noReasoningAtAllIsAllAnswer() {
        Transcript c = parse(false, "<b>", "bold</b>");
        assertEquals("", c.reasoning.toString());
        assertEquals("<b>bold</b>", c.answer.toString());
    }

    @Test
    void anUnclosedBlockAtTheEndIsReasoning() {
        Transcript c = parse(true, "still thinking </thi");
        assertEquals("still thinking </thi", c.reasoning.toString());
        assertEquals("", c.answer.toString());
    }

    @Test
    void forcingTheAnswerEndsReasoning() {
        Transcript c = new Transcript();
        ReasoningParser p = new ReasoningParser(true, c);
        p.push("long thought");
        p.forceAnswer();
        p.push("\n\nanswer");
        p.finish();
        assertEquals("long thought", c.reasoning.toString());
        assertEquals("answer", c.answer.toString());
    }
}
