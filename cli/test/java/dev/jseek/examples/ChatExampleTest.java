package dev.jseek.examples;

import dev.jseek.TestModels;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's example keeps working. */
class ChatExampleTest {
    @Test
    void runsTwoTurnsAndReportsThem() {
        Path model = TestModels.tiny();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ChatExample.run(model, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("> Why is the sea salty?") && out.contains("> And why is it blue?"), out);
        assertEquals(2, out.lines().filter(l -> l.matches("\\[\\d+ tokens, \\d+ of them reasoning, .* prompt tokens decoded]")).count(), out);
    }
}
