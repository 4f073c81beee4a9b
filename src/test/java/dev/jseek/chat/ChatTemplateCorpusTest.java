package dev.jseek.chat;

import dev.jseek.Backend;
import dev.jseek.JseekException;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.TestModels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Chat fidelity against the oracle: every template the pinned llama.cpp source ships (models/templates/) renders
 * the same prompt through {@link JinjaTemplates#apply} as through llama-server's {@code POST /apply-template} from
 * the same build, for a fixed set of conversations in every thinking mode; where llama.cpp refuses a conversation,
 * jseek refuses it too with llama.cpp's message. Both sides get the same model (the tiny R1 one, for its BOS/EOS)
 * and the same request body.
 */
class ChatTemplateCorpusTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Conversation(String name, String json) {
    }

    private static final String TOOLS = """
            "tools": [{"type": "function", "function": {"name": "get_weather", "description": "The weather in a city",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]""";
    private static final String TOOL_CALL_AND_RESULT = """
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [{"type": "function", "id": "call_1",
              "function": {"name": "get_weather", "arguments": "{\\"city\\": \\"Paris\\"}"}}]},
            {"role": "tool", "tool_call_id": "call_1", "content": "{\\"temperature_c\\": 21}"}""";

    private static final String MULTI_TURN = "system + multi-turn";
    private static final String REASONING = "past reasoning";
    private static final String TOOL_THEN_USER = "tool call, result, user";
    private static final String TOOL_RESULT_LAST = "tool call, result";

    private static final List<Conversation> CONVERSATIONS = List.of(
            new Conversation(MULTI_TURN, """
                    {"messages": [
                      {"role": "system", "content": "You are terse."},
                      {"role": "user", "content": "What is 2+2?"},
                      {"role": "assistant", "content": "4"},
                      {"role": "user", "content": "And 深度求索? 🐳"}]}"""),
            new Conversation(REASONING, """
                    {"messages": [
                      {"role": "user", "content": "What is 2+2?"},
                      {"role": "assistant", "reasoning_content": "Two and two make four.", "content": "4"},
                      {"role": "user", "content": "And 3+3?"}]}"""),
            new Conversation(TOOL_THEN_USER, "{" + TOOLS + ", \"messages\": [" + TOOL_CALL_AND_RESULT
                    + ", {\"role\": \"user\", \"content\": \"And tomorrow?\"}]}"),
            new Conversation(TOOL_RESULT_LAST, "{" + TOOLS + ", \"messages\": [" + TOOL_CALL_AND_RESULT + "]}"));

    /** chat_template_kwargs.enable_thinking; null: left out, llama-server's default (on where the template has it). */
    private record Mode(String name, Boolean enableThinking) {
    }

    private static final List<Mode> THINKING = List.of(new Mode("default", null), new Mode("thinking on", true),
            new Mode("thinking off", false));

    /** A conversation llama.cpp cannot render with a template, in every thinking mode; error: its message's last line. */
    private record Refusal(String template, String conversation, String error) {
    }

    /**
     * What llama.cpp itself refuses. All are the templates' own raise_exception: Mistral's want 9-character
     * alphanumeric tool-call ids and strict user/assistant alternation, Gemma 2's has no tool role.
     * A change in either direction fails the test.
     */
    private static final List<Refusal> LLAMA_CPP_REFUSES = List.of(
            new Refusal("Mistral-Small-3.2-24B-Instruct-2506.jinja", TOOL_THEN_USER, "Error: Jinja Exception: After the optional "
                    + "system message, conversation roles must alternate user/assistant/user/assistant/..."),
            new Refusal("Mistral-Small-3.2-24B-Instruct-2506.jinja", TOOL_RESULT_LAST,
                    "Error: Jinja Exception: Tool call IDs should be alphanumeric strings with length 9!"),
            new Refusal("google-gemma-2-2b-it.jinja", TOOL_THEN_USER,
                    "Error: Jinja Exception: Conversation roles must alternate user/assistant/user/assistant/..."),
            new Refusal("google-gemma-2-2b-it.jinja", TOOL_RESULT_LAST,
                    "Error: Jinja Exception: Conversation roles must alternate user/assistant/user/assistant/..."),
            new Refusal("mistralai-Ministral-3-14B-Reasoning-2512.jinja", TOOL_THEN_USER, "Error: Jinja Exception: After the "
                    + "optional system message, conversation roles must alternate user and assistant roles except for tool calls and results."),
            new Refusal("mistralai-Mistral-Nemo-Instruct-2407.jinja", TOOL_THEN_USER, "Error: Jinja Exception: After the optional "
                    + "system message, conversation roles must alternate user/assistant/user/assistant/..."),
            new Refusal("mistralai-Mistral-Nemo-Instruct-2407.jinja", TOOL_RESULT_LAST,
                    "Error: Jinja Exception: Tool call IDs should be alphanumeric strings with length 9!"));

    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void everyShippedTemplateRendersAsLlamaServerDoes() throws Exception {
        List<Path> templates;
        try (Stream<Path> files = Files.list(templatesDir())) {
            templates = files.filter(f -> f.getFileName().toString().endsWith(".jinja")).sorted().toList();
        }
        assertTrue(templates.size() >= 50, "too few templates in " + templatesDir() + ": " + templates.size());

        List<String> problems = new ArrayList<>();
        SortedMap<String, String> refused = new TreeMap<>();
        StringBuilder table = new StringBuilder(String.format("%-52s %-8s %s%n", "template", "matched", "llama.cpp refuses"));
        int matchedTotal = 0;
        for (Path template : templates) {
            String name = template.getFileName().toString();
            TemplateResult r = compare(template);
            matchedTotal += r.matched;
            problems.addAll(r.problems);
            r.refused.forEach((conversation, error) -> refused.put(name + " | " + conversation, error));
            table.append(String.format("%-52s %2d/%-5d %s%n", name, r.matched, r.cases, String.join("; ", r.refusedSummary)));
        }
        int cases = templates.size() * CONVERSATIONS.size() * THINKING.size();
        System.out.print(table);
        System.out.printf("%d templates x %d conversations x %d thinking modes: %d of %d cases rendered identically, %d refused by both%n",
                templates.size(), CONVERSATIONS.size(), THINKING.size(), matchedTotal, cases, refused.size());

        if (!problems.isEmpty()) {
            fail(problems.size() + " differences between jseek and llama-server:\n" + String.join("\n\n", problems));
        }
        assertEquals(expectedRefusals(), refused, "the conversations llama.cpp refuses changed (template | conversation / mode)");
    }

    @Test
    void theV4TemplateWithThinkingOffRendersAsLlamaServerDoes() throws Exception {
        Path template = templatesDir().resolve("deepseek-ai-DeepSeek-V4.jinja");
        String request = """
                {"messages": [
                  {"role": "system", "content": "You are terse."},
                  {"role": "user", "content": "What is 2+2?"},
                  {"role": "assistant", "content": "4"},
                  {"role": "user", "content": "And 3+3?"}],
                 "chat_template_kwargs": {"enable_thinking": false}}""";
        String server;
        try (LlamaServer llamaServer = LlamaServer.start(TestModels.tiny(), template, logFile(template))) {
            LlamaServer.Reply reply = llamaServer.applyTemplate(request);
            assertNull(reply.error(), "llama-server refused the V4 conversation");
            server = reply.prompt();
        }
        String ours;
        try (JinjaTemplates jinja = JinjaTemplates.of(model, Files.readString(template), "the template file " + template.getFileName())) {
            ours = prompt(jinja.apply(request));
        }
        System.out.println("V4, thinking off: " + ours);
        assertEquals(server, ours);
        // no BOS in the text (llama.cpp strips the template's, the tokenizer adds it); thinking off closes each reply's block
        assertEquals("You are terse.<｜User｜>What is 2+2?<｜Assistant｜></think>4<｜end▁of▁sentence｜>"
                + "<｜User｜>And 3+3?<｜Assistant｜></think>", ours);
    }

    private static final class TemplateResult {
        int cases;
        int matched;
        final List<String> problems = new ArrayList<>();
        final Map<String, String> refused = new TreeMap<>(); // "conversation / mode" -> llama.cpp's error, last line
        final List<String> refusedSummary = new ArrayList<>();
    }

    /** Starts llama-server on one template and renders every case on both sides. */
    private static TemplateResult compare(Path template) throws IOException, InterruptedException {
        String name = template.getFileName().toString();
        TemplateResult result = new TemplateResult();
        result.cases = CONVERSATIONS.size() * THINKING.size();
        JinjaTemplates ours = null;
        String oursRefused = null;
        try {
            ours = JinjaTemplates.of(model, Files.readString(template), "the template file " + name);
        } catch (JseekException e) {
            oursRefused = e.getMessage();
        }
        try (LlamaServer server = LlamaServer.start(TestModels.tiny(), template, logFile(template))) {
            if (ours == null) {
                result.problems.add(name + ": llama-server takes it, jseek refuses it: " + oursRefused);
                return result;
            }
            for (Conversation c : CONVERSATIONS) {
                List<String> modesRefused = new ArrayList<>();
                String lastError = null;
                for (Mode mode : THINKING) {
                    String label = c.name + " / " + mode.name;
                    String request = request(c, mode.enableThinking);
                    LlamaServer.Reply reply = server.applyTemplate(request);
                    String prompt = null;
                    String error = null;
                    try {
                        prompt = prompt(ours.apply(request));
                    } catch (JseekException e) {
                        error = e.getMessage();
                    }
                    if (reply.error() == null && error == null) {
                        if (reply.prompt().equals(prompt)) {
                            result.matched++;
                        } else {
                            result.problems.add(mismatch(name, label, request, reply.prompt(), prompt));
                        }
                    } else if (reply.error() != null && error != null) {
                        // jseek's message is its context, then llama.cpp's exception text
                        if (!error.endsWith(": " + reply.error())) {
                            result.problems.add(name + ", " + label + ": both refuse, with different errors\n  llama-server: "
                                    + reply.error() + "\n  jseek: " + error + "\n  request: " + request);
                        }
                        lastError = lastErrorLine(reply.error());
                        result.refused.put(label, lastError);
                        modesRefused.add(mode.name);
                    } else if (reply.error() != null) {
                        result.problems.add(name + ", " + label + ": llama-server refuses (" + reply.error()
                                + "), jseek renders\n  " + prompt + "\n  request: " + request);
                    } else {
                        result.problems.add(name + ", " + label + ": jseek refuses (" + error + "), llama-server renders\n  "
                                + reply.prompt() + "\n  request: " + request);
                    }
                }
                if (!modesRefused.isEmpty()) {
                    result.refusedSummary.add(c.name + (modesRefused.size() == THINKING.size() ? "" : " " + modesRefused)
                            + ": " + lastError);
                }
            }
        } catch (LlamaServer.RefusedToStart e) {
            String error = lastErrorLine(e.getMessage());
            result.refused.put("start", error);
            result.refusedSummary.add("start: " + error);
            if (ours != null) {
                result.problems.add(name + ": llama-server refuses to start (" + e.getMessage() + "), jseek takes it");
            }
        } finally {
            if (ours != null) {
                ours.close();
            }
        }
        return result;
    }

    private static SortedMap<String, String> expectedRefusals() {
        SortedMap<String, String> expected = new TreeMap<>();
        for (Refusal r : LLAMA_CPP_REFUSES) {
            for (Mode mode : THINKING) {
                expected.put(r.template + " | " + r.conversation + " / " + mode.name, r.error);
            }
        }
        return expected;
    }

    /** The conversation with chat_template_kwargs.enable_thinking set, or left out for null; the same text goes to both sides. */
    private static String request(Conversation c, Boolean enableThinking) throws IOException {
        ObjectNode body = (ObjectNode) JSON.readTree(c.json);
        if (enableThinking != null) {
            body.putObject("chat_template_kwargs").put("enable_thinking", enableThinking.booleanValue());
        }
        return JSON.writeValueAsString(body);
    }

    private static String prompt(String appliedJson) throws IOException {
        JsonNode prompt = JSON.readTree(appliedJson).path("prompt");
        assertTrue(prompt.isTextual(), "no prompt in " + appliedJson);
        return prompt.asText();
    }

    /** Template, conversation, where the prompts part (UTF-16 index) and both sides around it, and the request. */
    private static String mismatch(String template, String label, String request, String server, String ours) {
        int at = 0;
        while (at < server.length() && at < ours.length() && server.charAt(at) == ours.charAt(at)) {
            at++;
        }
        return template + ", " + label + ": prompts differ at char " + at + " (llama-server " + server.length()
                + " chars, jseek " + ours.length() + ")\n  llama-server: ..." + around(server, at)
                + "\n  jseek:        ..." + around(ours, at) + "\n  request: " + request;
    }

    private static String around(String s, int at) {
        String part = s.substring(Math.max(0, at - 40), Math.min(s.length(), at + 40));
        return part.replace("\n", "\\n") + "...";
    }

    /** The line that says what went wrong: llama.cpp's Jinja errors end with it after the source excerpt. */
    private static String lastErrorLine(String message) {
        List<String> lines = message.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).toLowerCase(java.util.Locale.ROOT).contains("error")) {
                return lines.get(i);
            }
        }
        return lines.isEmpty() ? message : lines.get(lines.size() - 1);
    }

    /** models/templates/ of the llama.cpp source the native build was made from. */
    private static Path templatesDir() {
        return LlamaSource.dir().resolve("models").resolve("templates");
    }

    private static Path logFile(Path template) {
        return TestModels.workDir().resolve("llama-server").resolve(template.getFileName() + ".log");
    }
}
