package dev.jseek.cli;

import dev.jseek.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.InvalidRequestException;
import dev.jseek.Model;
import dev.jseek.wire.OpenAiChat;
import dev.jseek.ModelParams;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTurn;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static Path model;

    @TempDir
    Path dir;

    @BeforeAll
    static void model() {
        model = TestModels.tiny();
    }

    private static int jseek(StringWriter out, StringWriter err, String... args) {
        return Main.execute(new PrintWriter(out), new PrintWriter(err), args);
    }

    /** The records of a JSONL output, by id; fails if an id appears twice or a line is not JSON. */
    private static Map<String, JsonNode> records(String jsonl) throws IOException {
        Map<String, JsonNode> byId = new TreeMap<>();
        for (String line : jsonl.split("\n")) {
            if (!line.isBlank()) {
                JsonNode node = JSON.readTree(line);
                assertTrue(byId.put(node.get("id").asText(), node) == null, "id twice: " + node.get("id"));
            }
        }
        return byId;
    }

    @Test
    void badLinesBecomeErrorRecordsAndTheRestAreAnswered() throws IOException {
        Path input = Files.writeString(dir.resolve("in.jsonl"), String.join("\n",
                "{\"id\": \"a\", \"prompt\": \"Why is the sea salty?\"}",
                "{\"id\": \"b\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 5}",
                "this is not json",
                "{\"id\": \"c\"}",
                "{\"id\": \"a\", \"prompt\": \"again\"}",
                "{\"id\": \"d\", \"prompt\": \"Hello\", \"temperature\": 0, \"top_p\": 7}",
                "{\"id\": \"e\", \"prompt\": \"" + "word ".repeat(400) + "\"}",
                "{\"id\": \"f\", \"prompt\": \"Tell me a joke\", \"temperature\": 0.2, \"seed\": 3}") + "\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = jseek(out, err, "batch", "-m", model.toString(), "-c", "256", "--parallel", "2", "-n", "12", input.toString());
        assertEquals(ExitCodes.FAILURE, code, "some lines failed: " + err);
        Map<String, JsonNode> r = records(out.toString());
        assertEquals(List.of("a", "b", "c", "d", "e", "f", "line 3", "line 5"), new ArrayList<>(r.keySet()));
        for (String ok : List.of("a", "b", "f")) {
            assertTrue(r.get(ok).has("answer") && r.get(ok).get("stats").get("generated_tokens").asInt() > 0, r.get(ok).toString());
        }
        assertTrue(r.get("b").get("stats").get("generated_tokens").asInt() <= 5);
        List<String> keys = new ArrayList<>();
        r.get("a").get("stats").fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("prompt_tokens", "cached_prompt_tokens", "prompt_tokens_per_second", "generated_tokens", "reasoning_tokens", "generation_tokens_per_second", "first_token_seconds", "reasoning_seconds"), keys, "run --json's stats shape (RunCommandTest)");
        assertTrue(r.get("line 5").get("error").asText().contains("id a appears more than once"), r.get("line 5").toString());
        assertTrue(r.get("c").get("error").asText().contains("no \"prompt\""));
        assertTrue(r.get("d").get("error").asText().contains("top-p"));
        assertTrue(r.get("e").get("error").asText().contains("a parallel slot holds"), r.get("e").toString());
        assertTrue(r.get("line 3").get("error").asText().startsWith("line 3:"));
    }

    /**
     * A line is read by the server's reader: a bad type or a penalty is an error record with the reader's own
     * sentence (once read as 0.0 and ignored), a tool call's arguments are checked, and a typo is not ignored.
     */
    @Test
    void aBadFieldIsTheWireReadersSentence() throws Exception {
        List<String> lines = List.of(
                "{\"id\": \"t\", \"prompt\": \"Hi\", \"temperature\": \"abc\"}",
                "{\"id\": \"p\", \"prompt\": \"Hi\", \"frequency_penalty\": \"abc\"}",
                "{\"id\": \"args\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", "
                        + "\"tool_calls\": [{\"id\": \"c\", \"function\": {\"name\": \"f\", \"arguments\": \"[1]\"}}]}, "
                        + "{\"role\": \"tool\", \"tool_call_id\": \"c\", \"content\": \"x\"}]}",
                "{\"id\": \"typo\", \"prompt\": \"Hi\", \"temprature\": 0.5}");
        Path input = Files.writeString(dir.resolve("bad.jsonl"), String.join("\n", lines) + "\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(ExitCodes.FAILURE, jseek(out, err, "batch", "-m", model.toString(), "-n", "4", input.toString()), err.toString());
        Map<String, JsonNode> r = records(out.toString());
        for (int i = 0; i < lines.size(); i++) {
            com.fasterxml.jackson.databind.node.ObjectNode line = (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(lines.get(i));
            String id = line.remove("id").asText();
            if (line.has("prompt")) {
                line.putArray("messages").addObject().put("role", "user").put("content", line.remove("prompt").asText());
            }
            String sentence = assertThrows(InvalidRequestException.class,
                    () -> OpenAiChat.read(line, ChatOptions.defaults().reply())).getMessage();
            assertEquals("line " + (i + 1) + ": " + sentence, r.get(id).get("error").asText(), r.get(id).toString());
        }
        assertEquals("line 1: temperature must be a number, not \"abc\".", r.get("t").get("error").asText());
    }

    @Test
    void aRerunSkipsWhatIsDoneAndRepairsACutOffLastLine() throws IOException {
        Path input = dir.resolve("in.jsonl");
        Path output = dir.resolve("out.jsonl");
        Files.writeString(input, "{\"id\": \"1\", \"prompt\": \"one\"}\n{\"id\": \"2\", \"prompt\": \"two\"}\n");
        assertEquals(0, jseek(new StringWriter(), new StringWriter(), "batch", "-m", model.toString(), "-n", "6", "-o", output.toString(), input.toString()));
        // A kill while writing leaves half a line; more input arrives.
        Files.writeString(output, "{\"id\": \"3\", \"answ", StandardOpenOption.APPEND);
        Files.writeString(input, "{\"id\": \"3\", \"prompt\": \"three\"}\n{\"id\": \"4\", \"prompt\": \"four\"}\n", StandardOpenOption.APPEND);
        StringWriter err = new StringWriter();
        assertEquals(0, jseek(new StringWriter(), err, "batch", "-m", model.toString(), "-n", "6", "-o", output.toString(), input.toString()));
        assertTrue(err.toString().contains("2 ids are already in"), err.toString());
        assertEquals(List.of("1", "2", "3", "4"), new ArrayList<>(records(Files.readString(output)).keySet()));
    }

    @Test
    void killedWithSigkillMidRunARerunYieldsEveryIdExactlyOnce() throws Exception {
        Path input = dir.resolve("in.jsonl");
        Path output = dir.resolve("out.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 12; i++) {
            lines.append("{\"id\": \"r").append(i).append("\", \"prompt\": \"Talk about ").append(i).append("\", \"max_tokens\": ")
                    .append(i % 3 == 0 ? 300 : 20).append("}\n");
        }
        Files.writeString(input, lines);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "batch", "-m", model.toString(), "--parallel", "2", "-o", output.toString(), input.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && (!Files.exists(output) || Files.readString(output).lines().count() < 2)) {
            Thread.sleep(10);
        }
        p.destroyForcibly(); // SIGKILL: no shutdown hook, no flush
        p.waitFor();
        int before = (int) Files.readString(output).lines().count();
        assertTrue(before < 12, "the kill came too late to test anything (" + before + " records)");
        assertEquals(0, jseek(new StringWriter(), new StringWriter(), "batch", "-m", model.toString(), "--parallel", "2",
                "-o", output.toString(), input.toString()));
        Map<String, JsonNode> r = records(Files.readString(output, StandardCharsets.UTF_8));
        assertEquals(12, r.size(), r.keySet().toString());
    }

    @Test
    void aLineOfInvalidUtf8AndAnUnsplittableRunAreOneRecordEachAndTheRestAreAnswered() throws IOException {
        java.io.ByteArrayOutputStream in = new java.io.ByteArrayOutputStream();
        in.writeBytes("{\"id\": \"a\", \"prompt\": \"Hello\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        in.writeBytes(new byte[] {'{', '"', 'i', 'd', '"', ':', '"', 'b', '"', ',', '"', 'p', 'r', 'o', 'm', 'p', 't', '"', ':', '"',
                (byte) 0xC3, (byte) 0x28, (byte) 0xFF, '"', '}', '\n'});
        in.writeBytes(("{\"id\": \"c\", \"prompt\": \"" + " ".repeat(5000) + "\"}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        in.writeBytes(("{\"id\": \"d\", \"prompt\": \"" + "=".repeat(8000) + "\"}\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        in.writeBytes("{\"id\": \"e\", \"prompt\": \"Bye\"}\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Path input = Files.write(dir.resolve("hostile.jsonl"), in.toByteArray());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        // before: the invalid line ended the batch with "jseek: Input length = 1" and no record at all, and the runs
        // of 5,000 spaces or 8,000 '=' ended the JVM in llama.cpp's pre-tokenizer
        int code = jseek(out, err, "batch", "-m", model.toString(), "-c", "8192", "--parallel", "2", "-n", "3", input.toString());
        assertEquals(ExitCodes.FAILURE, code, err.toString());
        Map<String, JsonNode> r = records(out.toString());
        assertEquals(java.util.Set.of("a", "line 2", "c", "d", "e"), r.keySet(), out.toString());
        assertTrue(r.get("line 2").get("error").asText().contains("not valid UTF-8"), r.get("line 2").toString());
        for (String answered : List.of("a", "c", "d", "e")) {
            assertTrue(r.get(answered).get("error") == null || r.get(answered).get("error").isNull(), r.get(answered).toString());
        }
    }

    /** A record that failed at run time (here: a prompt longer than a slot) is an error: exit code 1, as with bad lines. */
    @Test
    void runtimeErrorRecordsMakeExitCode1() throws IOException {
        Path input = Files.writeString(dir.resolve("in.jsonl"), "{\"id\": \"ok\", \"prompt\": \"Hi\"}\n"
                + "{\"id\": \"long\", \"prompt\": \"" + "word ".repeat(400) + "\"}\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = jseek(out, err, "batch", "-m", model.toString(), "-c", "256", "-n", "4", input.toString());
        assertEquals(ExitCodes.FAILURE, code, err.toString());
        Map<String, JsonNode> r = records(out.toString());
        assertTrue(r.get("ok").has("answer"), r.toString());
        assertTrue(r.get("long").get("error").asText().contains("a parallel slot holds"), r.toString());
        assertTrue(err.toString().contains("1 of 2 records are errors"), err.toString());

        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "not json\n");
        assertEquals(ExitCodes.FAILURE, jseek(new StringWriter(), new StringWriter(), "batch", "-m", model.toString(), bad.toString()),
                "only bad lines: nothing to answer, still a failure");
    }

    /** `jseek batch > out.jsonl` at a shell, with no input: it must say so, not wait for the terminal. */
    @Test
    void withNoInputAndATerminalOnStdinItSaysSoAtOnce() throws Exception {
        Path stdout = dir.resolve("out.jsonl");
        try (PseudoTerminal t = PseudoTerminal.start("xterm-256color", List.of("batch", "-m", model.toString()), stdout)) {
            t.await("jseek: no input given", 0, java.time.Duration.ofSeconds(60));
            assertEquals(ExitCodes.USAGE, t.exitCode(java.time.Duration.ofSeconds(60)), t.screen());
        }
        StringWriter err = new StringWriter();
        assertEquals(ExitCodes.USAGE, jseek(new StringWriter(), err, "batch", "-m", model.toString(), "/no/such/input.jsonl"));
        assertTrue(err.toString().contains("/no/such/input.jsonl does not exist"), err.toString());
    }

    /** --system and --reasoning-budget, as `run` has them: with one slot a record is exactly the chat session's reply. */
    @Test
    void theChatFlagsOfRunApplyToEveryRecord() throws IOException {
        ChatOptions options = ChatOptions.defaults().withSampling(SamplerParams.greedy()).withMaxTokens(16).withReasoningBudget(5);
        ChatTurn expected;
        try (Model m = Model.load(model, ModelParams.defaults()); ChatSession chat = new ChatSession(m, options)) {
            chat.setSystemPrompt("Be brief.");
            expected = chat.send("Why is the sea salty?", ChatListener.silent());
        }
        Path input = Files.writeString(dir.resolve("in.jsonl"), "{\"id\": \"q\", \"prompt\": \"Why is the sea salty?\"}\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = jseek(out, err, "batch", "-m", model.toString(), "--parallel", "1", "--preset", "greedy", "-n", "16",
                "--reasoning-budget", "5", "--system", "Be brief.", input.toString());
        assertEquals(0, code, err.toString());
        JsonNode r = records(out.toString()).get("q");
        assertEquals(expected.reasoning(), r.get("reasoning").asText(), r.toString());
        assertEquals(expected.answer(), r.get("answer").asText(), r.toString());
        assertEquals(5, r.get("stats").get("reasoning_tokens").asInt(), r.toString());
        assertEquals(expected.stats().promptTokens(), r.get("stats").get("prompt_tokens").asInt(), "the system prompt is in the prompt");
    }
}
