package dev.jseek.cli;

import dev.jseek.chat.LlamaSource;
import dev.jseek.TestModels;
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
    private static final Path model = TestModels.tiny();

    @TempDir
    Path dir;

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

    /** Tab completes a command's argument as the argument alone (it used to insert "/set\\ temperature" after "/set "). */
    @Test
    void tabCompletesTheArgumentWithoutRepeatingTheCommand() throws Exception {
        try (PseudoTerminal t = PseudoTerminal.start("xterm-256color", args("--reasoning-budget", "4", "-n", "8"))) {
            int at = t.await(">>> ", 0, WAIT);
            t.type("/set te\t\t");
            at = t.await("temperature", at, WAIT);
            t.type("0.3\r");
            at = t.await("temperature = 0\\.3", at, WAIT);
            t.type("/think c\t\t\r");
            at = t.await("Reasoning: collapse", at, WAIT);
            t.type("/sh\t s\t\r");
            at = t.await("temperature 0\\.30", at, WAIT);
            t.type("/exit\r");
            assertEquals(0, t.exitCode(WAIT));
            assertFalse(t.screen().contains("/set /set") || t.screen().contains("/think /think"), t.screen());
        }
    }

    @Test
    void completerOffersCommandsThenTheCommandsArguments() {
        org.jline.reader.impl.DefaultParser parser = new org.jline.reader.impl.DefaultParser();
        for (String[] c : new String[][] {{"/se", "/set"}, {"/set te", "temperature"}, {"/think c", "collapse"}, {"/show h", "history"}}) {
            List<org.jline.reader.Candidate> candidates = new ArrayList<>();
            SlashCommands.completer().complete(null, parser.parse(c[0], c[0].length()), candidates);
            List<String> values = candidates.stream().map(org.jline.reader.Candidate::value).toList();
            assertTrue(values.contains(c[1]), c[0] + " -> " + values);
            assertTrue(values.stream().noneMatch(v -> v.contains(" ")), c[0] + " -> " + values);
        }
    }

    /** The conversation piped in: each reply's answer (in plain output, after the reasoning's closing marker). */
    private static List<String> answers(String output) {
        List<String> answers = new ArrayList<>();
        var m = java.util.regex.Pattern.compile("\\[/thinking] Thought for [0-9.]+ s\\R(.*?)\\R\\R?[0-9.]+ tok/s",
                java.util.regex.Pattern.DOTALL).matcher(output);
        while (m.find()) {
            answers.add(m.group(1));
        }
        return answers;
    }

    private Outcome chat(String input, String... extra) throws Exception {
        List<String> a = args(extra);
        return Subprocess.run(input, Duration.ofSeconds(120), a.toArray(String[]::new));
    }

    /**
     * /regen, /set, /save and /load, and failing ones (a missing file, a missing directory, a bad value): each failure
     * is one line and the conversation goes on, where a failed /load or /save used to end the REPL and lose it.
     */
    @Test
    void saveLoadRegenAndSetWorkAndAFailedCommandKeepsTheConversation() throws Exception {
        Path saved = dir.resolve("chat.jseek");
        Outcome first = chat(String.join("\n", "Why is the sea salty?", "/regen", "/set temperature 0.25",
                "/set top-k many", "/show settings", "/load " + dir.resolve("nope.jseek"), "/save " + dir.resolve("no/such/dir/chat.jseek"),
                "/save " + saved, "/show history", "") , "--preset", "greedy", "--reasoning-budget", "4", "-n", "12");
        assertEquals(0, first.code(), first.out() + first.err());
        String out = first.out();
        List<String> answers = answers(out);
        assertEquals(2, answers.size(), out);
        assertEquals(answers.get(0), answers.get(1), "greedy: /regen answers the same message the same way");
        assertTrue(out.contains("temperature = 0.25"), out);
        assertTrue(out.contains("jseek: 'many' is not a number"), out);
        assertTrue(out.contains("temperature 0.25"), "/show settings: " + out);
        assertTrue(out.contains("jseek: cannot load " + dir.resolve("nope.jseek") + ": there is no such file"), out);
        assertTrue(out.contains("jseek: cannot save to " + dir.resolve("no/such/dir/chat.jseek") + ": the directory"), out);
        assertTrue(out.contains("Saved to " + saved), out);
        String history = out.substring(out.lastIndexOf("Saved to"));
        assertEquals(1, history.lines().filter(l -> l.endsWith("user: Why is the sea salty?")).count(), "/regen keeps one user turn: " + history);
        assertTrue(history.contains("assistant: ") && history.contains(answers.get(1).strip()), history);

        Outcome second = chat(String.join("\n", "/load " + saved, "/show history", ""), "--preset", "greedy");
        assertEquals(0, second.code(), second.out() + second.err());
        assertTrue(second.out().contains("Loaded " + saved + ": 2 messages."), second.out());
        assertTrue(second.out().contains("user: Why is the sea salty?"), second.out());
    }

    /**
     * With tools and a required call (V4's template), a reply's call is shown as a call, not as its markup; /tool
     * sends the result and the model answers it; /think off says what it changes for the template.
     */
    @Test
    void aToolCallIsShownAndToolSendsItsResult() throws Exception {
        Path v4 = LlamaSource.dir().resolve("models/templates/deepseek-ai-DeepSeek-V4.jinja");
        // no parameters: the tiny model's random arguments would otherwise run past -n, and a cut call is not JSON
        Path tools = Files.writeString(dir.resolve("tools.json"), "[{\"type\": \"function\", \"function\": {\"name\": \"get_time\", "
                + "\"parameters\": {\"type\": \"object\", \"properties\": {}}}}]");
        Outcome r = chat(String.join("\n", "/tool too early", "/think off", "What time is it?", "/tool 12:00",
                        "/show history", ""), "--template", v4.toString(), "--tools", tools.toString(), "--tool-choice", "required",
                "--preset", "greedy", "-n", "64");
        assertEquals(0, r.code(), r.out() + r.err());
        String out = r.out();
        assertTrue(out.contains("jseek: the last reply called no tool"), out);
        assertTrue(out.contains("The template's thinking switch is off from the next message."), out);
        assertTrue(out.contains("\u2699 get_time({})"), out);
        assertFalse(out.contains("DSML"), "the call's markup is held back: " + out);
        assertTrue(out.contains("tool: 12:00"), "/tool sent the result: " + out);
        assertEquals(2, out.lines().filter(l -> l.contains("tok/s")).count(), "the model answered the result: " + out);
    }
}
