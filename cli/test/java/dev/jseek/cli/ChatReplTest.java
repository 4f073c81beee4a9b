package dev.jseek.cli;

import dev.jseek.models.TinyDeepSeek;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The REPL through a real pseudo-terminal, and through a pipe. */
class ChatReplTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static Path model;

    @TempDir
    Path dir;

    @BeforeAll
    static void model() {
        model = DemoModel.ensure(Path.of(System.getProperty("jseek.test.work", "target/test-work")), TinyDeepSeek.Config.defaults());
    }

    private List<String> args(String... extra) {
        List<String> a = new ArrayList<>(List.of("chat", "-m", model.toString(), "--history-file", dir.resolve("history").toString()));
        a.addAll(List.of(extra));
        return a;
    }

    @Test
    void reasoningIsShownDimmedThenHiddenAfterThinkAndTheHistoryIsKept() throws Exception {
        try (PseudoTerminal t = PseudoTerminal.start("xterm-256color", args("--reasoning-budget", "6", "-n", "20"))) {
            int at = t.await(">>> ", 0, WAIT);
            t.type("What is the sea?\r");
            at = t.await("Thinking…", at, WAIT);
            at = t.await("Thought for [0-9.]+ s", at, WAIT);
            at = t.await("tok/s", at, WAIT);
            assertTrue(t.screen().contains("\u001b[2;3m") || t.screen().contains("\u001b[3;2m"),
                    "reasoning is dim italic on a capable terminal");
            t.type("/think hide\r");
            at = t.await("Reasoning: hide", at, WAIT);
            t.type("And the sky?\r");
            at = t.await("tok/s", at, WAIT);
            String afterHide = t.screen().substring(t.screen().lastIndexOf("Reasoning: hide"));
            assertFalse(afterHide.contains("Thinking…"), afterHide);
            assertFalse(afterHide.contains("Thought for"), afterHide);
            t.type("/exit\r");
            assertEquals(0, t.exitCode(WAIT));
        }
        List<String> history = Files.readAllLines(dir.resolve("history"));
        assertTrue(history.stream().anyMatch(l -> l.endsWith("What is the sea?")), history.toString());
        assertTrue(history.stream().anyMatch(l -> l.endsWith("/think hide")), history.toString());
    }

    @Test
    void ctrlCStopsTheAnswerAndReturnsToThePromptThenCtrlDQuits() throws Exception {
        try (PseudoTerminal t = PseudoTerminal.start("xterm-256color", args("-n", "100000", "--reasoning", "collapse"))) {
            int at = t.await(">>> ", 0, WAIT);
            t.type("Talk for a long time\r");
            at = t.await("Thinking… [0-9]+ tokens", at, WAIT);
            t.type("\u0003");
            at = t.await("\\[stopped]", at, WAIT);
            at = t.await(">>> ", at, WAIT);
            t.type("/show history\r");
            at = t.await(">>> ", at, WAIT);
            assertFalse(t.screen().substring(t.screen().lastIndexOf("/show history")).contains("user: Talk"),
                    "a stopped turn is not in the history");
            t.type("\u0004");
            assertEquals(0, t.exitCode(WAIT));
        }
    }

    @Test
    void aDumbTerminalGetsNoEscapeCodesFromUs() throws Exception {
        try (PseudoTerminal t = PseudoTerminal.start("dumb", args("--reasoning-budget", "4", "-n", "12"))) {
            int at = t.await(">>> ", 0, WAIT);
            t.type("Hello\r");
            at = t.await("\\[/thinking] Thought for", at, WAIT);
            at = t.await("tok/s", at, WAIT);
            t.type("/exit\r");
            assertEquals(0, t.exitCode(WAIT));
            String reply = t.screen().substring(t.screen().indexOf("[thinking]"));
            assertFalse(reply.contains("\u001b[2"), "no dim/italic codes on a dumb terminal: " + reply);
        }
    }

    @Test
    void withStdinPipedItReadsMessagesAndCommandsAndEndsAtEndOfInput() throws Exception {
        Path input = Files.writeString(dir.resolve("input.txt"), "\"\"\"\nline one\nline two\n\"\"\"\n/stats\n");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args("--reasoning-budget", "4", "-n", "12"));
        Process p = new ProcessBuilder(command).redirectInput(input.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), output);
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("[/thinking] Thought for"), output);
        assertTrue(output.contains("decoded (the rest from the KV cache)"), "/stats ran: " + output);
        assertFalse(output.contains("\u001b["), "no escape codes when stdin is not a terminal: " + output);
        List<String> history = Files.readAllLines(dir.resolve("history"));
        assertTrue(String.join("\n", history).contains("line one"), history.toString());
    }
}
