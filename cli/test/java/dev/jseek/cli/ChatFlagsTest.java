package dev.jseek.cli;

import dev.jseek.chat.LlamaSource;
import dev.jseek.TestModels;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The conversation flags of run (shared with chat and batch): thinking, reasoning effort, template files, tools,
 * schemas, grammars and stops, on the tiny model with DeepSeek-V4's template from the pinned llama.cpp.
 */
class ChatFlagsTest {
    private static final String SYSTEM = "You are terse.";
    private static final String QUESTION = "What is 2+2?";
    private static final Path model = TestModels.tiny();
    private static final Path v4 = LlamaSource.dir().resolve("models/templates/deepseek-ai-DeepSeek-V4.jinja");

    @TempDir
    Path dir;

    @BeforeAll
    static void template() {
        assertTrue(Files.isRegularFile(v4), v4 + " is missing from the pinned llama.cpp source");
    }


    private Outcome printPrompt(String... flags) {
        List<String> args = new java.util.ArrayList<>(List.of("run", "-m", model.toString(), "--system", SYSTEM, "--print-prompt"));
        if (!List.of(flags).contains("--template")) {
            args.addAll(List.of("--template", v4.toString()));
        }
        args.addAll(List.of(flags));
        args.add(QUESTION);
        return jseek(args.toArray(String[]::new));
    }

    /** What the runtime renders for the same conversation: the CLI must print exactly that. */
    private static String rendered(boolean thinking) throws IOException {
        try (Model m = Model.load(model, ModelParams.defaults());
             ChatTemplate t = ChatTemplate.jinja(m, Files.readString(v4), "the template file " + v4.getFileName());
             ChatSession s = new ChatSession(m, ChatOptions.defaults().withTemplate(t).withThinking(thinking))) {
            s.setSystemPrompt(SYSTEM);
            return s.renderPrompt(ChatMessage.user(QUESTION));
        }
    }

    private static void assertOneLine(Outcome r, String... parts) {
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        for (String p : parts) {
            assertTrue(r.err().contains(p), "'" + p + "' not in: " + r.err());
        }
    }

    @Test
    void printPromptWithTheV4TemplateAndThinkingOffIsTheRuntimesPromptExactly() throws IOException {
        Outcome r = printPrompt("--think", "off");
        assertEquals(0, r.code(), r.err());
        assertEquals(rendered(false), r.out());
        assertTrue(r.out().endsWith("<\uFF5CAssistant\uFF5C></think>"), r.out());
        assertTrue(r.err().matches("(?s).*jseek: \\d+ prompt tokens.*"), r.err());
        assertEquals(r.out(), printPrompt("--no-think").out(), "--no-think is --think off");
    }

    @Test
    void printPromptWithThinkingOnOpensTheReasoningBlock() throws IOException {
        Outcome r = printPrompt("--think", "on");
        assertEquals(0, r.code(), r.err());
        assertEquals(rendered(true), r.out());
        assertTrue(r.out().endsWith("<\uFF5CAssistant\uFF5C><think>"), r.out());
    }

    @Test
    void aKnownReasoningEffortReachesTheTemplateAndAnUnknownOneIsOneUsageLine() {
        Outcome max = printPrompt("--reasoning-effort", "max");
        assertEquals(0, max.code(), max.err());
        assertTrue(max.out().contains("Reasoning Effort: Absolute maximum"), max.out());
        assertOneLine(printPrompt("--reasoning-effort", "low"), "'low'", "max, none");
    }

    @Test
    void badThinkValuesAreUsageErrors() {
        assertOneLine(printPrompt("--think", "maybe"), "--think must be on or off");
        assertOneLine(printPrompt("--think", "on", "--no-think"), "contradict");
    }

    @Test
    void aTemplateFileThatFailsOrIsMissingIsOneLineNamingIt() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.jinja"), "{% for m in messages %}{{ m.content }");
        assertOneLine(printPrompt("--template", bad.toString()), "bad.jinja");
        assertOneLine(printPrompt("--template", dir.resolve("missing.jinja").toString()), "missing.jinja", "does not exist");
        assertOneLine(printPrompt("--template", "no-such-builtin"), "unknown chat template 'no-such-builtin'");
    }

    @Test
    void aToolsFileThatIsNotJsonOrNotAToolsArrayIsOneLineNamingIt() throws IOException {
        Path notJson = Files.writeString(dir.resolve("broken.json"), "[{\"type\":");
        Path notArray = Files.writeString(dir.resolve("object.json"), "{\"type\": \"function\"}");
        Path noName = Files.writeString(dir.resolve("noname.json"), "[{\"type\": \"function\", \"function\": {}}]");
        assertOneLine(printPrompt("--tools", notJson.toString()), "broken.json", "not valid JSON");
        assertOneLine(printPrompt("--tools", notArray.toString()), "object.json", "not a JSON array");
        assertOneLine(printPrompt("--tools", noName.toString()), "noname.json", "no function name");
        assertOneLine(printPrompt("--tool-choice", "required"), "--tool-choice needs --tools");
        assertOneLine(printPrompt("--tools", tools().toString(), "--tool-choice", "sometimes"), "unknown tool choice 'sometimes'");
    }

    @Test
    void toolsAreDescribedToTheModelInThePrompt() throws IOException {
        Outcome r = printPrompt("--tools", tools().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("get_weather") && r.out().contains("## Tools"), r.out());
    }

    /**
     * A required call on the tiny model. The tool takes no arguments: a string argument is free text until its
     * closing tag in llama.cpp's grammar, which random weights never write, so such a call would never finish.
     */
    @Test
    void runJsonCarriesTheToolCallsInOpenAisShape() throws IOException {
        Path time = Files.writeString(dir.resolve("time.json"), """
                [{"type": "function", "function": {"name": "get_time", "description": "The current time",
                  "parameters": {"type": "object", "properties": {}}}}]
                """);
        Outcome r = jseek("run", "-m", model.toString(), "--template", v4.toString(), "--think", "off", "--preset", "greedy",
                "-n", "64", "--tools", time.toString(), "--tool-choice", "required", "--json", "What time is it?");
        assertEquals(0, r.code(), r.err());
        JsonNode calls = new ObjectMapper().readTree(r.out()).get("tool_calls");
        assertTrue(calls != null && !calls.isEmpty(), r.out()); // V4 allows parallel calls: random weights may make several
        JsonNode call = calls.get(0);
        assertEquals("function", call.get("type").asText());
        assertEquals("get_time", call.get("function").get("name").asText());
        assertTrue(call.get("function").get("arguments").isTextual(), "arguments are JSON text, as OpenAI sends them");
        assertFalse(call.get("id").asText().isEmpty(), call.toString());
    }

    @Test
    void aSchemaTheConverterRejectsIsOneLineNamingTheFileAndAGoodOneShapesTheAnswer() throws IOException {
        Path bad = Files.writeString(dir.resolve("schema.json"), "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"foo\"}}}");
        assertOneLine(printPrompt("--json-schema", bad.toString()), "schema.json", "unrecognized type foo");
        assertOneLine(printPrompt("--json-schema", "{\"type\": "), "not valid JSON");
        assertOneLine(printPrompt("--json-schema", dir.resolve("none.json").toString()), "none.json", "does not exist");
        Outcome r = jseek("run", "-m", model.toString(), "--template", v4.toString(), "--think", "off", "--preset", "greedy",
                "-n", "6", "--json-schema", "{\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}}, \"required\": [\"a\"]}",
                "--json", QUESTION);
        assertEquals(0, r.code(), r.err());
        String answer = new ObjectMapper().readTree(r.out()).get("answer").asText();
        assertTrue(answer.startsWith("{\"a\":"), answer);
    }

    @Test
    void aGrammarFileShapesTheAnswerAndCannotBeCombinedWithASchema() throws IOException {
        Path grammar = Files.writeString(dir.resolve("yes.gbnf"), "root ::= \"yes\" | \"no\"\n");
        Outcome r = jseek("run", "-m", model.toString(), "--template", v4.toString(), "--think", "off", "--preset", "greedy",
                "-n", "6", "--grammar-file", grammar.toString(), "--json", QUESTION);
        assertEquals(0, r.code(), r.err());
        String answer = new ObjectMapper().readTree(r.out()).get("answer").asText();
        assertTrue(answer.equals("yes") || answer.equals("no"), answer);
        assertOneLine(printPrompt("--grammar-file", grammar.toString(), "--json-schema", "{}"), "give one");
    }

    /** --stop ends the answer before the text: the greedy answer up to the stop, the stop left out. */
    @Test
    void stopStringsEndTheAnswer() throws IOException {
        String[] base = {"run", "-m", model.toString(), "--template", v4.toString(), "--think", "off", "--preset", "greedy", "-n", "12", "--json"};
        String free = answer(jseek(concat(base, QUESTION)));
        assertTrue(free.length() > 6, free);
        String stop = free.substring(4, 6);
        int cut = free.indexOf(stop);
        Outcome r = jseek(concat(base, "--stop", "\u0001never", "--stop", stop, QUESTION));
        assertEquals(0, r.code(), r.err());
        // the runtime trims the space a stopped answer starts with (a parsed one keeps it): compare the words
        assertEquals(free.substring(0, cut).strip(), answer(r).strip());
        assertEquals("stopped", new ObjectMapper().readTree(r.out()).get("stop").asText());
    }

    private static String answer(Outcome r) throws IOException {
        assertEquals(0, r.code(), r.err());
        return new ObjectMapper().readTree(r.out()).get("answer").asText();
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void printPromptWithRawIsAUsageError() {
        assertOneLine(jseek("run", "-m", model.toString(), "--raw", "--print-prompt", "hi"), "--raw");
    }

    private Path tools() throws IOException {
        return Files.writeString(dir.resolve("tools.json"), """
                [{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
                """);
    }
}
