package dev.jseek.cli;

import dev.jseek.chat.LlamaSource;
import dev.jseek.TestModels;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.chat.ChatTools;
import dev.jseek.chat.ToolCall;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplerParams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Batch lines with tools, schemas, grammars, stops, efforts and tool messages, answered through the engine like the rest. */
class BatchLineOptionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOOLS = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
            + "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}]";
    private static final String DAYS = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
            + "\"parameters\": {\"type\": \"object\", \"properties\": {\"days\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 7}}, "
            + "\"required\": [\"days\"]}}}]";
    private static Path model;
    private static Path v4;

    @TempDir
    Path dir;

    @BeforeAll
    static void model() throws IOException {
        model = TestModels.tiny();
        v4 = LlamaSource.dir().resolve("models/templates/deepseek-ai-DeepSeek-V4.jinja");
    }

    private static final String TOOL_TURN = "[{\"role\": \"user\", \"content\": \"Weather in Paris?\"}, "
            + "{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"id\": \"call_0\", \"type\": \"function\", "
            + "\"function\": {\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}}]}, "
            + "{\"role\": \"tool\", \"tool_call_id\": \"call_0\", \"content\": \"sunny, 21 C\"}]";

    @Test
    void everyLineGetsOneRecord() throws IOException {
        Path input = Files.writeString(dir.resolve("in.jsonl"), String.join("\n",
                "{\"id\": \"plain\", \"prompt\": \"Hi\"}",
                "{\"id\": \"tool-result\", \"messages\": " + TOOL_TURN + ", \"tools\": " + TOOLS + ", \"think\": false}",
                "{\"id\": \"effort\", \"prompt\": \"Hi\", \"reasoning_effort\": \"low\"}",
                "{\"id\": \"bad-schema\", \"prompt\": \"Hi\", \"json_schema\": {\"type\": \"foo\"}}",
                "{\"id\": \"schema\", \"prompt\": \"Hi\", \"think\": false, \"max_tokens\": 6, "
                        + "\"json_schema\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"integer\"}}, \"required\": [\"a\"]}}",
                "{\"id\": \"grammar\", \"prompt\": \"Hi\", \"think\": false, \"grammar\": \"root ::= \\\"yes\\\" | \\\"no\\\"\"}",
                // a bounded number, one call: a free string argument never finishes on random weights
                "{\"id\": \"call\", \"prompt\": \"Weather in 3 days?\", \"think\": false, \"max_tokens\": 160, \"tools\": " + DAYS
                        + ", \"tool_choice\": \"required\", \"parallel_tool_calls\": false}",
                "{\"id\": \"bad-tools\", \"prompt\": \"Hi\", \"tools\": {\"not\": \"an array\"}}",
                "{\"id\": \"no-call-id\", \"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}",
                "{\"id\": \"ends-with-assistant\", \"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}, "
                        + "{\"role\": \"assistant\", \"content\": \"Hello\"}], \"stop\": \"x\"}"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), "batch", "-m", model.toString(), "--template", v4.toString(),
                "--preset", "greedy", "-n", "8", input.toString());
        assertEquals(ExitCodes.FAILURE, code, "error records make the exit code 1: " + err);
        List<String> ids = new ArrayList<>();
        java.util.Map<String, JsonNode> byId = new java.util.HashMap<>();
        for (String line : out.toString().split("\n")) {
            JsonNode r = JSON.readTree(line);
            ids.add(r.get("id").asText());
            byId.put(r.get("id").asText(), r);
        }
        assertEquals(10, ids.size(), out.toString());
        assertEquals(10, byId.size(), "one record per line: " + ids);

        assertTrue(byId.get("effort").get("error").asText().contains("'low'"), byId.get("effort").toString());
        assertTrue(byId.get("bad-schema").get("error").asText().contains("unrecognized type foo"), byId.get("bad-schema").toString());
        assertTrue(byId.get("bad-tools").get("error").asText().contains("not a JSON array"), byId.get("bad-tools").toString());
        assertTrue(byId.get("no-call-id").get("error").asText().contains("tool_call_id"), byId.get("no-call-id").toString());
        assertTrue(byId.get("ends-with-assistant").get("error").asText().contains("user message or a tool result"),
                byId.get("ends-with-assistant").toString());
        assertTrue(byId.get("schema").get("answer").asText().startsWith("{\"a\""), byId.get("schema").toString());
        assertTrue(List.of("yes", "no").contains(byId.get("grammar").get("answer").asText()), byId.get("grammar").toString());
        JsonNode call = byId.get("call").get("tool_calls").get(0);
        assertEquals("function", call.get("type").asText());
        assertEquals("get_weather", call.get("function").get("name").asText());
        assertEquals(expectedToolResultAnswer(), byId.get("tool-result").get("answer").asText());
    }

    /** The runtime's own answer to the same conversation: the line's messages reached the template unchanged. */
    private static String expectedToolResultAnswer() throws IOException {
        ChatTools tools = ChatTools.parse(TOOLS, "tools", ChatTools.Choice.AUTO);
        try (Model m = Model.load(model, ModelParams.defaults());
             ChatTemplate t = ChatTemplate.jinja(m, Files.readString(v4), "v4");
             ChatSession s = new ChatSession(m, ChatOptions.defaults().withTemplate(t).withSampling(SamplerParams.greedy())
                     .withMaxTokens(8).withThinking(false).withTools(tools))) {
            s.restoreHistory(List.of(ChatMessage.user("Weather in Paris?"),
                    ChatMessage.assistant("", List.of(new ToolCall("get_weather", "{\"city\": \"Paris\"}", "call_0")))));
            return s.send(ChatMessage.tool("call_0", "sunny, 21 C"), ChatListener.silent()).answer();
        }
    }

    /** batch --print-prompt: each line's prompt as the runtime renders it, in input order, and an error record for a bad one. */
    @Test
    void printPromptWritesEachLinesPromptInOrder() throws IOException {
        Path input = Files.writeString(dir.resolve("prompts.jsonl"), String.join("\n",
                "{\"id\": \"off\", \"messages\": [{\"role\": \"system\", \"content\": \"You are terse.\"}, "
                        + "{\"role\": \"user\", \"content\": \"What is 2+2?\"}], \"think\": false}",
                "{\"id\": \"on\", \"prompt\": \"What is 2+2?\"}",
                "{\"id\": \"effort\", \"prompt\": \"Hi\", \"reasoning_effort\": \"low\"}"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), "batch", "-m", model.toString(), "--template", v4.toString(),
                "--print-prompt", input.toString());
        assertEquals(ExitCodes.FAILURE, code, err.toString());
        String[] lines = out.toString().split("\n");
        assertEquals(3, lines.length, out.toString());
        assertEquals("You are terse.<\uFF5CUser\uFF5C>What is 2+2?<\uFF5CAssistant\uFF5C></think>", JSON.readTree(lines[0]).get("prompt").asText());
        assertTrue(JSON.readTree(lines[0]).get("prompt_tokens").asInt() > 0, lines[0]);
        assertTrue(JSON.readTree(lines[1]).get("prompt").asText().endsWith("<\uFF5CAssistant\uFF5C><think>"), lines[1]);
        assertTrue(JSON.readTree(lines[2]).get("error").asText().contains("'low'"), lines[2]);
    }
}
