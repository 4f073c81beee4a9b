package dev.jseek.chat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StopStringsTest {

    @Test
    void aStopStringSplitAcrossPiecesIsCaughtAndNeverShown() {
        StringBuilder out = new StringBuilder();
        StopStrings s = new StopStrings(List.of("END", "###"), out::append);
        s.push("hello E");
        assertEquals("hello ", out.toString(), "'E' may start END: held back");
        s.push("N");
        s.push("D and more");
        s.finish();
        assertEquals("hello ", out.toString());
        assertTrue(s.stopped());
    }

    @Test
    void heldBackTextThatIsNoStopIsReleased() {
        StringBuilder out = new StringBuilder();
        StopStrings s = new StopStrings(List.of("END"), out::append);
        s.push("the EN");
        s.push("GINE");
        s.push(" ends E");
        s.finish();
        assertEquals("the ENGINE ends E", out.toString());
    }

    @Test
    void theEarliestOfSeveralStopsWinsAndATailHeldForOneStopIsReleasedAtTheEnd() {
        StringBuilder out = new StringBuilder();
        StopStrings s = new StopStrings(List.of("b", "a"), out::append);
        s.push("xab");
        assertEquals("x", out.toString());
        StringBuilder tail = new StringBuilder();
        StopStrings t = new StopStrings(List.of("END", "\n\n"), tail::append);
        t.push("xE");
        t.push("N!");
        t.push("a\n");
        assertEquals("xEN!a", tail.toString(), "a newline may start the blank line: held");
        t.finish();
        assertEquals("xEN!a\n", tail.toString());
        assertFalse(t.stopped());
    }
}
