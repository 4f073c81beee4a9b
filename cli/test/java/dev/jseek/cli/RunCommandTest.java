package dev.jseek.cli;

import dev.jseek.TestModels;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTurn;

import dev.jseek.Context;
import dev.jseek.ContextParams;
import dev.jseek.Generator;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.Sampler;
import dev.jseek.SamplerParams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `jseek run` end to end on the tiny model, with stdout and stderr captured. */
class RunCommandTest {
    private static Path model;

    @BeforeAll
    static void model() {
        model = TestModels.tiny();
    }


    @Test
    void printsTheGreedyContinuationOnStdoutAndStatsOnStderr() {
        Outcome r = jseek("run", "--raw", "-m", model.toString(), "--temp", "0", "-n", "16", "The", "sea");
        assertEquals(0, r.code(), r.err());
        assertEquals(expectedGreedy("The sea", 16) + System.lineSeparator(), r.out());
        assertTrue(r.err().contains("tok/s"), r.err());
    }

    /**
     * `-c 999999999` used to run for a minute and end in llama.cpp's std::bad_alloc (18.8 GB resident): now one line
     * naming the largest context that fits, exit code 1, nothing on stdout.
     */
    @Test
    void aContextThatCannotFitIsOneLineNamingTheLargestThatFits() {
        Outcome r = jseek("run", "-m", model.toString(), "-c", "999999999", "-n", "4", "hi");
        assertEquals(ExitCodes.FAILURE, r.code(), r.err());
        assertEquals("", r.out());
        List<String> lines = r.err().lines().filter(l -> l.startsWith("jseek: ")).toList();
        assertEquals(1, lines.size(), r.err());
        assertTrue(lines.getFirst().matches("jseek: A context of 999999999 tokens needs .* of system memory .*; the largest that "
                + "fits is (\\d+) tokens \\(-c \\1\\)\\."), r.err());
    }

    /** The same generation through the runtime API: the CLI may add nothing to stdout. */
    private static String expectedGreedy(String prompt, int n) {
        try (Model m = Model.load(model, ModelParams.defaults());
             Context ctx = m.newContext(ContextParams.defaults());
             Sampler greedy = new Sampler(m.vocab(), SamplerParams.greedy());
             Generator g = new Generator(ctx, 0)) {
            return g.generate(m.vocab().tokenize(prompt, true, false), greedy, n, (t, s) -> { }).text();
        }
    }

    private static ChatTurn expectedChat(String prompt) {
        ChatOptions options = ChatOptions.defaults().withSampling(SamplerParams.greedy()).withMaxTokens(16).withReasoningBudget(5);
        try (Model m = Model.load(model, ModelParams.defaults()); ChatSession chat = new ChatSession(m, options)) {
            return chat.send(prompt, ChatListener.silent());
        }
    }

    @Test
    void theAnswerGoesToStdoutAndTheReasoningToStderrOrNowhere() {
        ChatTurn expected = expectedChat("Why is the sea salty?");
        Outcome r = jseek("run", "-m", model.toString(), "--preset", "greedy", "-n", "16", "--reasoning-budget", "5",
                "Why is the sea salty?");
        assertEquals(0, r.code(), r.err());
        assertEquals(expected.answer() + System.lineSeparator(), r.out());
        assertTrue(r.err().contains(expected.reasoning()), r.err());
        Outcome dropped = jseek("run", "-m", model.toString(), "--preset", "greedy", "-n", "16", "--reasoning-budget", "5",
                "--reasoning", "drop", "Why is the sea salty?");
        assertEquals(r.out(), dropped.out());
        assertFalse(dropped.err().contains(expected.reasoning()), dropped.err());
    }

    @Test
    void jsonIsOneRecordWithReasoningAnswerAndStats() throws Exception {
        ChatTurn expected = expectedChat("Why is the sea salty?");
        Outcome r = jseek("run", "--json", "-m", model.toString(), "--preset", "greedy", "-n", "16", "--reasoning-budget", "5",
                "Why is the sea salty?");
        assertEquals(0, r.code(), r.err());
        assertEquals(1, r.out().strip().lines().count(), r.out());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertEquals(expected.answer(), json.get("answer").asText());
        assertEquals(expected.reasoning(), json.get("reasoning").asText());
        assertEquals(expected.stats().generatedTokens(), json.get("stats").get("generated_tokens").asInt());
        // the one stats shape of dev.jseek.wire.TurnRecord, as each batch record holds it (BatchCommandTest)
        List<String> keys = new ArrayList<>();
        json.get("stats").fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("prompt_tokens", "cached_prompt_tokens", "prompt_tokens_per_second", "generated_tokens", "reasoning_tokens", "generation_tokens_per_second", "first_token_seconds", "reasoning_seconds"), keys);
    }

    @Test
    void readsThePromptFromAFile(@TempDir Path dir) throws IOException {
        Path prompt = Files.writeString(dir.resolve("prompt.txt"), "The sea");
        Outcome r = jseek("run", "--raw", "-m", model.toString(), "--temp", "0", "-n", "16", "--file", prompt.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(expectedGreedy("The sea", 16) + System.lineSeparator(), r.out());
    }

    @Test
    void aMissingModelIsOneLineAndExitCode3() {
        Outcome r = jseek("run", "-m", "/no/such/model.gguf", "hi");
        assertEquals(ExitCodes.MODEL, r.code());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("/no/such/model.gguf"), r.err());
    }

    @Test
    void absurdValuesAreRejectedBeforeTheModelLoads() {
        for (String[] bad : new String[][] {{"--top-p", "7"}, {"--threads", "0"}, {"--ctx-size", "-5"}, {"-n", "0"}, {"--reasoning", "stdout"},
                {"--preset", "hot"}, {"-b", "0"}, {"-ub", "-1"}, {"-fa", "maybe"}, {"-ctk", "q9_9"}, {"--frequency-penalty", "NaN"}}) {
            Outcome r = jseek("run", "-m", model.toString(), bad[0], bad[1], "hi");
            assertEquals(ExitCodes.USAGE, r.code(), String.join(" ", bad) + ": " + r.err());
            assertEquals("", r.out());
            assertFalse(r.err().contains("Exception"), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        Outcome r = jseek("run", "--no-such-flag", "hi");
        assertEquals(ExitCodes.USAGE, r.code());
        assertTrue(r.err().contains("--no-such-flag"), r.err());
    }

    @Test
    void moePlacementFlagsKeepTheOutputAndBadOnesAreUsageErrors() {
        Outcome plain = jseek("run", "--raw", "-m", model.toString(), "--temp", "0", "-n", "8", "The", "sea");
        Outcome placed = jseek("run", "--raw", "-m", model.toString(), "--temp", "0", "-n", "8", "--cpu-moe", "-ncmoe", "2",
                "-ot", "blk\\.0\\.ffn_.*=CPU", "The", "sea");
        assertEquals(0, placed.code(), placed.err());
        assertEquals(plain.out(), placed.out());
        assertEquals(ExitCodes.USAGE, jseek("run", "-m", model.toString(), "-ot", "no-device", "hi").code());
        assertEquals(ExitCodes.USAGE, jseek("run", "-m", model.toString(), "-ot", "exps=NOSUCHGPU", "hi").code());
        assertEquals(ExitCodes.USAGE, jseek("run", "-m", model.toString(), "--rpc", "nonsense", "hi").code());
        Outcome unreachable = jseek("run", "-m", model.toString(), "--rpc", "127.0.0.1:1", "hi");
        assertEquals(ExitCodes.FAILURE, unreachable.code());
        assertTrue(unreachable.err().contains("No RPC worker answers at 127.0.0.1:1"), unreachable.err());
    }

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** `jseek run > out.txt` at a shell: stdout is a file, stdin the terminal. It must not wait for the terminal. */
    @Test
    void withNoPromptAndATerminalOnStdinItSaysSoAtOnceEvenWithStdoutRedirected(@TempDir Path dir) throws Exception {
        Path stdout = dir.resolve("out.txt");
        try (PseudoTerminal t = PseudoTerminal.start("xterm-256color", List.of("run", "-m", model.toString()), stdout)) {
            t.await("jseek: no prompt given: pass it as an argument", 0, WAIT);
            assertEquals(ExitCodes.USAGE, t.exitCode(WAIT), t.screen());
        }
        assertEquals("", Files.readString(stdout));
    }

    @Test
    void readsThePromptFromStdinWhenItIsNotATerminalAndRefusesAnEmptyOne() throws Exception {
        Outcome piped = Subprocess.run("The sea", WAIT, "run", "--raw", "-m", model.toString(), "--temp", "0", "-n", "16");
        assertEquals(0, piped.code(), piped.err());
        assertEquals(expectedGreedy("The sea", 16) + System.lineSeparator(), piped.out());
        Outcome dash = Subprocess.run("The sea", WAIT, "run", "--raw", "-m", model.toString(), "--temp", "0", "-n", "16", "-");
        assertEquals(piped.out(), dash.out());
        Outcome empty = Subprocess.run("  \n", WAIT, "run", "-m", model.toString());
        assertEquals(ExitCodes.USAGE, empty.code());
        assertEquals("jseek: the prompt is empty; pass it as an argument, with --file FILE, or on stdin", empty.err().strip());
        Outcome missing = jseek("run", "-m", model.toString(), "--file", "/no/such/prompt.txt");
        assertEquals(ExitCodes.USAGE, missing.code());
        assertTrue(missing.err().contains("/no/such/prompt.txt does not exist"), missing.err());
    }

    /**
     * The first thing a new user runs: no --model. The demo's random weights never end their reasoning, so without
     * its own defaults this streamed thousands of tokens of reasoning noise and an empty answer.
     */
    @Test
    void theDemoModelGivesAShortReplyWithReasoningAndAnAnswerAndSaysWhatItIs() throws Exception {
        Outcome r = jseek("run", "--json", "--seed", "1", "Why is the sea salty?");
        assertEquals(0, r.code(), r.err());
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertFalse(json.get("reasoning").asText().isBlank(), r.out());
        assertFalse(json.get("answer").asText().isBlank(), r.out());
        assertTrue(json.get("stats").get("generated_tokens").asInt() <= ChatFlags.DEMO_MAX_TOKENS, r.out());
        assertEquals(ChatFlags.DEMO_REASONING_BUDGET, json.get("stats").get("reasoning_tokens").asInt(), r.out());
        List<String> notes = r.err().lines().filter(l -> l.contains("demo model")).toList();
        assertEquals(1, notes.size(), r.err());
        assertTrue(notes.getFirst().contains("random weights") && notes.getFirst().contains("kept short"), notes.getFirst());

        Outcome plain = jseek("run", "--seed", "1", "Why is the sea salty?");
        assertEquals(0, plain.code(), plain.err());
        assertEquals(json.get("answer").asText() + System.lineSeparator(), plain.out());
        assertTrue(plain.err().contains("[thinking]\n" + json.get("reasoning").asText() + "\n[/thinking]"), plain.err());

        // what the user sets wins
        Outcome chosen = jseek("run", "--json", "-n", "200", "--reasoning-budget", "3", "--seed", "1", "Why is the sea salty?");
        var c = new com.fasterxml.jackson.databind.ObjectMapper().readTree(chosen.out());
        assertEquals(3, c.get("stats").get("reasoning_tokens").asInt(), chosen.out());
        assertTrue(c.get("stats").get("generated_tokens").asInt() > ChatFlags.DEMO_MAX_TOKENS
                || !c.get("stop").asText().equals("max_tokens"), chosen.out());
        assertFalse(chosen.err().contains("kept short"), chosen.err());
    }

    /** -b, -ub, -fa, -ctk and -ctv as llama.cpp's own log reports them when it creates the context. */
    @Test
    void contextFlagsReachLlamaCpp() throws Exception {
        Outcome r = Subprocess.run(null, WAIT, "run", "--verbose", "--raw", "-m", model.toString(), "-n", "2",
                "-b", "64", "-ub", "32", "-fa", "on", "-ctk", "f32", "-ctv", "f32", "The", "sea");
        assertEquals(0, r.code(), r.err());
        for (String expected : List.of("n_batch               = 64", "n_ubatch              = 32", "flash_attn            = enabled",
                "K (f32)", "V (f32)")) {
            assertTrue(r.err().contains(expected), expected + " in:\n" + r.err());
        }
        Outcome defaults = Subprocess.run(null, WAIT, "run", "--verbose", "--raw", "-m", model.toString(), "-n", "2", "The", "sea");
        for (String expected : List.of("n_batch               = 512", "n_ubatch              = 512", "flash_attn            = auto", "K (f16)")) {
            assertTrue(defaults.err().contains(expected), expected + " in:\n" + defaults.err());
        }
        // A quantized cache needs head sizes that its blocks divide: the tiny model's 40 is not, and llama.cpp says so.
        Outcome quantized = jseek("run", "-m", model.toString(), "-ctk", "q8_0", "-ctv", "q8_0", "hi");
        assertEquals(ExitCodes.FAILURE, quantized.code());
        assertTrue(quantized.err().contains("K cache type q8_0 with block size 32 does not divide n_embd_head_k=40"), quantized.err());
        Outcome conflicting = jseek("run", "-m", model.toString(), "-fa", "off", "-ctv", "q8_0", "hi");
        assertEquals(ExitCodes.USAGE, conflicting.code());
        assertTrue(conflicting.err().contains("needs flash attention"), conflicting.err());
    }

    /**
     * The penalties reach llama.cpp's sampler: the CLI's output is the runtime's for the same settings, and differs
     * from plain greedy. (Negative values, which reward repeats: this greedy continuation repeats nothing by itself,
     * so a positive penalty would have nothing to change.)
     */
    @Test
    void frequencyAndPresencePenaltiesReachTheSampler() {
        String plain = expectedGreedy("The sea", 24);
        for (String flag : List.of("--frequency-penalty", "--presence-penalty")) {
            SamplerParams penalized = flag.equals("--frequency-penalty") ? SamplerParams.greedy().withFrequencyPenalty(-5)
                    : SamplerParams.greedy().withPresencePenalty(-5);
            String expected;
            try (Model m = Model.load(model, ModelParams.defaults());
                 Context ctx = m.newContext(ContextParams.defaults());
                 Sampler sampler = new Sampler(m.vocab(), penalized);
                 Generator g = new Generator(ctx, 0)) {
                expected = g.generate(m.vocab().tokenize("The sea", true, false), sampler, 24, (t, s) -> { }).text();
            }
            Outcome r = jseek("run", "--raw", "-m", model.toString(), "--temp", "0", "-n", "24", flag, "-5", "The", "sea");
            assertEquals(0, r.code(), r.err());
            assertEquals(expected + System.lineSeparator(), r.out(), flag);
            assertFalse(expected.equals(plain), flag + " changes the continuation");
        }
    }
}
