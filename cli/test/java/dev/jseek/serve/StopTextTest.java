package dev.jseek.serve;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Stop strings across streamed pieces: nothing of a stop string is ever released, nothing else is held for good. */
class StopTextTest {
    @Test
    void holdsBackAPossibleStartAndCutsBeforeTheStop() {
        StopText t = new StopText(List.of("END"));
        assertEquals("abc ", t.add("abc E"));
        assertEquals("", t.add("N"));
        assertEquals("", t.add("D and more"));
        assertTrue(t.stopped());
        assertEquals("", t.finish());
    }

    @Test
    void releasesAHeldTailThatWasNotAStopAfterAll() {
        StopText t = new StopText(List.of("END", "\n\n"));
        assertEquals("x", t.add("xE"));
        assertEquals("EN!", t.add("N!"));
        assertEquals("a", t.add("a\n"));
        assertEquals("\n", t.finish());
        assertFalse(t.stopped());
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        StopText t = new StopText(List.of("b", "a"));
        assertEquals("x", t.add("xab"));
    }
}
