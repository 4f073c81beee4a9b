package dev.jseek;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;

class Utf8StreamTest {

    @Test
    void emojiSplitAcrossFourPiecesIsEmittedWhole() {
        byte[] emoji = "🐳".getBytes(StandardCharsets.UTF_8);
        Utf8Stream s = new Utf8Stream();
        StringBuilder out = new StringBuilder();
        for (byte b : emoji) {
            String piece = s.push(new byte[] {b});
            if (out.isEmpty() && !piece.isEmpty()) {
                assertEquals("🐳", piece, "nothing may be emitted before the character is complete");
            }
            out.append(piece);
        }
        assertEquals("🐳", out.toString());
        assertEquals(0, s.pendingBytes());
    }

    @Test
    void chineseSplitInsideACharacterKeepsTheTailBack() {
        byte[] text = "深度求索".getBytes(StandardCharsets.UTF_8); // 3 bytes per character
        Utf8Stream s = new Utf8Stream();
        assertEquals("深", s.push(Arrays.copyOfRange(text, 0, 5)));
        assertEquals(2, s.pendingBytes());
        assertEquals("度求索", s.push(Arrays.copyOfRange(text, 5, text.length)));
    }

    @Test
    void anyPieceBoundaryGivesTheSameText() {
        String original = "a→é 🐋 深度 end";
        byte[] bytes = original.getBytes(StandardCharsets.UTF_8);
        for (int cut = 0; cut <= bytes.length; cut++) {
            Utf8Stream s = new Utf8Stream();
            String joined = s.push(Arrays.copyOfRange(bytes, 0, cut)) + s.push(Arrays.copyOfRange(bytes, cut, bytes.length)) + s.flush();
            assertEquals(original, joined, "cut at byte " + cut);
        }
    }

    @Test
    void truncatedCharacterAtTheEndBecomesReplacementOnFlush() {
        Utf8Stream s = new Utf8Stream();
        byte[] partial = Arrays.copyOf("深".getBytes(StandardCharsets.UTF_8), 2);
        assertEquals("ok", s.push("ok".getBytes(StandardCharsets.UTF_8)));
        assertEquals("", s.push(partial));
        assertEquals("\uFFFD", s.flush());
    }

    @Test
    void invalidLeadByteIsPassedOnNotHeldForever() {
        Utf8Stream s = new Utf8Stream();
        assertEquals("\uFFFDx", s.push(new byte[] {(byte) 0xFF, 'x'}));
        assertEquals(0, s.pendingBytes());
    }
}
