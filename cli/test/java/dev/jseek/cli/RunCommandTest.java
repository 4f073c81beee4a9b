package dev.jseek.cli;

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
import dev.jseek.models.TinyDeepSeek;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `jseek run` end to end on the tiny model, with stdout and stderr captured. */
class RunCommandTest {
    private static Path model;

    @BeforeAll
    static void model() {
        model = DemoModel.ensure(Path.of(System.getProperty("jseek.test.work", "target/test-work")),
                TinyDeepSeek.Config.defaults());
    }

    record Outcome(int code, String out, String err) {
    }

    static Outcome jseek(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(code, out.toString(), err.toString());
    }

    @Test
    void printsTheGreedyContinuationOnStdoutAndStatsOnStderr() {
        Outcome r = jseek("run", "--raw", "-m", model.toString(), "--temp", "0", "-n", "16", "The", "sea");
        assertEquals(0, r.code(), r.err());
        assertEquals(expectedGreedy("The sea", 16) + System.lineSeparator(), r.out());
        assertTrue(r.err().contains("tok/s"), r.err());
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
        assertTrue(json.get("stats").has("generation_tokens_per_second"));
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
        for (String[] bad : new String[][] {{"--top-p", "7"}, {"--threads", "0"}, {"--ctx-size", "-5"}, {"-n", "0"}, {"--reasoning", "stdout"}, {"--preset", "hot"}}) {
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
}
