package dev.jseek.chat;

import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.TestModels;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tool-call and reasoning parsing equals llama.cpp's on its own canned DeepSeek outputs: every {@code peg_tester}
 * case of the pinned source's tests/test-chat.cpp for a DeepSeek template in models/templates (R1 distills,
 * llama.cpp's R1 template, V3.1, V3.2 DSML, V4 DSML, V4-Flash-0731). Each request is rendered with
 * {@link JinjaTemplates#apply} for that template, as llama.cpp's test renders it (same tools, thinking switch,
 * parallel calls, continuation), and the canned output parsed with {@link JinjaTemplates#parse} using the parser
 * params the render returned; the reasoning, content and tool calls are compared as llama.cpp's
 * {@code assert_msg_equals} compares them (text stripped of outer whitespace, arguments as JSON values).
 *
 * <p>The outputs and expected messages are transcribed from test-chat.cpp (the tools are read from it); a
 * check counts the DeepSeek cases in that file, so cases llama.cpp adds are not silently missed. Not reproduced:
 * the streaming (prefix-by-prefix) diff check, the grammar-acceptance check, and the three
 * {@code expect_reconstruction} re-renders: llama-server's request path (which jseek's bridge follows) turns a
 * trailing assistant message into a continuation and refuses to continue one with tool calls.
 */
class ToolCallParseTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HELLO = "Hello, world!\nWhat's up?";
    private static Model model;
    private static Map<String, ObjectNode> tools;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
        tools = tools(LlamaSource.read("tests/test-chat.cpp"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    record Call(String name, String arguments) {
    }

    /** One {@code tst.test(input)...run()} of test-chat.cpp. */
    static final class Case {
        final String template;
        final String input;
        boolean thinking = true;
        boolean parallel;
        final List<String> tools = new ArrayList<>();
        String prefill; // null, or the assistant message a continuation test ends with
        String continuation; // "content" or "reasoning_content"
        String content = "";
        String reasoning = "";
        final List<Call> calls = new ArrayList<>();

        Case(String template, String input) {
            this.template = template;
            this.input = input;
        }

        Case thinking(boolean on) {
            thinking = on;
            return this;
        }

        Case tools(String... names) {
            tools.addAll(List.of(names));
            return this;
        }

        Case parallel() {
            parallel = true;
            return this;
        }

        Case expect(String content, String reasoning, Call... calls) {
            this.content = content;
            this.reasoning = reasoning;
            this.calls.addAll(List.of(calls));
            return this;
        }

        /** message_user, message_assist_prefill_content; add_generation_prompt(false); CONTENT continuation. */
        Case continuesContent() {
            prefill = "{\"role\": \"assistant\", \"content\": \"Hello, \", \"reasoning_content\": \"I'm thinking\"}";
            continuation = "content";
            return this;
        }

        /** message_user, message_assist_prefill_reasoning; add_generation_prompt(false); REASONING continuation. */
        Case continuesReasoning() {
            prefill = "{\"role\": \"assistant\", \"content\": \"\", \"reasoning_content\": \"I'm\"}";
            continuation = "reasoning_content";
            return this;
        }

        @Override
        public String toString() {
            return template.replace(".jinja", "") + ": " + input.replace("\n", "\\n");
        }
    }

    private static Call call(String name, String arguments) {
        return new Call(name, arguments);
    }

    private static final String V31 = "deepseek-ai-DeepSeek-V3.1.jinja";
    private static final String V32 = "deepseek-ai-DeepSeek-V3.2.jinja";
    private static final String V4 = "deepseek-ai-DeepSeek-V4.jinja";
    private static final String V4_FLASH = "deepseek-ai-DeepSeek-V4-Flash-0731.jinja";
    private static final String DISTILL_LLAMA = "deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja";
    private static final String DISTILL_QWEN = "deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja";
    private static final String LLAMA_CPP_R1 = "llama-cpp-deepseek-r1.jinja";

    /** Every continuation pair test-chat.cpp runs on each DeepSeek reasoning template. */
    private static List<Case> continuations(String template) {
        return List.of(
                new Case(template, "world!\nWhat's up?").continuesContent().expect(HELLO, "I'm thinking"),
                new Case(template, " thinking</think>Hello, world!\nWhat's up?").continuesReasoning().expect(HELLO, "I'm thinking"));
    }

    /** DSML tool-call blocks: V3.2 names the block function_calls, V4 tool_calls. */
    private static String dsml(String block, String... invokes) {
        StringBuilder sb = new StringBuilder("<｜DSML｜" + block + ">\n");
        for (String invoke : invokes) {
            sb.append(invoke);
        }
        return sb.append("</｜DSML｜").append(block).append(">").toString();
    }

    private static String invoke(String name, String... params) {
        StringBuilder sb = new StringBuilder("<｜DSML｜invoke name=\"" + name + "\">\n");
        for (String p : params) {
            sb.append(p);
        }
        return sb.append("</｜DSML｜invoke>\n").toString();
    }

    private static String param(String name, boolean string, String value) {
        return "<｜DSML｜parameter name=\"" + name + "\" string=\"" + string + "\">" + value + "</｜DSML｜parameter>\n";
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        // DeepSeek V3.1
        cases.add(new Case(V31, "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"city\": "
                + "\"XYZCITY\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>").tools("get_time_tool").thinking(false)
                .expect("", "", call("get_time", "{\"city\":\"XYZCITY\"}")));
        cases.addAll(continuations(V31));
        cases.add(new Case(V31, "REASONING</think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"city\": "
                + "\"Tokyo\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>").thinking(true).tools("get_time_tool")
                .expect("", "REASONING", call("get_time", "{\"city\":\"Tokyo\"}")));
        cases.add(new Case(V31, "REASONING</think>CONTENT<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>get_time<｜tool▁sep｜>{\"city\": "
                + "\"Paris\"}<｜tool▁call▁end｜><｜tool▁call▁begin｜>get_weather<｜tool▁sep｜>{\"city\": "
                + "\"Paris\"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>").tools("get_time_tool", "get_weather_tool").thinking(true).parallel()
                .expect("CONTENT", "REASONING", call("get_time", "{\"city\":\"Paris\"}"), call("get_weather", "{\"city\":\"Paris\"}")));
        cases.add(new Case(V31, "REASONING</think>\nCONTENT").thinking(true).expect("CONTENT", "REASONING\n"));
        cases.add(new Case(V31, "CONTENT").thinking(false).expect("CONTENT", ""));

        // DeepSeek V3.2 (DSML, block "function_calls") and V4 (DSML, block "tool_calls")
        for (String template : List.of(V32, V4)) {
            String block = template.equals(V32) ? "function_calls" : "tool_calls";
            cases.add(new Case(template, HELLO).thinking(false).expect(HELLO, ""));
            cases.add(new Case(template, "I'm\nthinking</think>Hello, world!\nWhat's up?").thinking(true).expect(HELLO, "I'm\nthinking"));
            cases.add(new Case(template, "Let me check the time</think>\n\n"
                    + dsml(block, invoke("get_time", param("city", true, "Tokyo")))).thinking(true).tools("get_time_tool")
                    .expect("", "Let me check the time", call("get_time", "{\"city\": \"Tokyo\"}")));
            cases.add(new Case(template, dsml(block, invoke("special_function", param("arg1", false, "1"))))
                    .thinking(false).tools("special_function_tool").expect("", "", call("special_function", "{\"arg1\": 1}")));
            cases.add(new Case(template, "Calling both</think>\n\n" + dsml(block,
                    invoke("get_time", param("city", true, "Paris")), invoke("get_weather", param("city", true, "Paris"))))
                    .thinking(true).parallel().tools("get_time_tool", "get_weather_tool")
                    .expect("", "Calling both", call("get_time", "{\"city\": \"Paris\"}"), call("get_weather", "{\"city\": \"Paris\"}")));
            cases.add(new Case(template, "Thinking about it</think>Let me call the function.\n\n"
                    + dsml(block, invoke("special_function", param("arg1", false, "1")))).thinking(true).tools("special_function_tool")
                    .expect("Let me call the function.", "Thinking about it", call("special_function", "{\"arg1\": 1}")));
            if (template.equals(V32)) {
                cases.add(new Case(template, "Test negative</think>\n\n" + dsml(block, invoke("magic_int", param("ref", false, "-14"))))
                        .thinking(true).tools("magic_int_tool").expect("", "Test negative", call("magic_int", "{\"ref\": -14}")));
                cases.add(new Case(template, "Test decimal</think>\n\n" + dsml(block, invoke("amount", param("orig", false, "3.14"))))
                        .thinking(true).tools("amount_tool").expect("", "Test decimal", call("amount", "{\"orig\": 3.14}")));
                cases.add(new Case(template, "Test boolean</think>\n\n" + dsml(block, invoke("toggle", param("enabled", false, "true"))))
                        .thinking(true).tools("toggle_tool").expect("", "Test boolean", call("toggle", "{\"enabled\": true}")));
                cases.add(new Case(template, "Test array</think>\n\n"
                        + dsml(block, invoke("todo_list", param("todos", false, "[\"buy milk\",\"walk dog\"]"))))
                        .thinking(true).tools("todo_list").expect("", "Test array", call("todo_list", "{\"todos\": [\"buy milk\", \"walk dog\"]}")));
                cases.add(new Case(template, "Test object</think>\n\n"
                        + dsml(block, invoke("set_config", param("config", false, "{\"theme\":\"dark\",\"level\":2}"))))
                        .thinking(true).tools("config_tool")
                        .expect("", "Test object", call("set_config", "{\"config\": {\"theme\": \"dark\", \"level\": 2}}")));
                cases.add(new Case(template, "</think>\n\n" + dsml(block, invoke("get_time", param("city", true, "XYZCITY"))))
                        .thinking(true).tools("get_time_tool").expect("", "", call("get_time", "{\"city\": \"XYZCITY\"}")));
            }
            cases.add(new Case(template, "Multi-arg call</think>\n\n"
                    + dsml(block, invoke("magic_int", param("ref", false, "42"), param("name", true, "foo bar"))))
                    .thinking(true).tools("magic_int_tool")
                    .expect("", "Multi-arg call", call("magic_int", "{\"ref\": 42, \"name\": \"foo bar\"}")));
            cases.addAll(continuations(template));
            if (template.equals(V4)) {
                // no </think> after the reasoning: the tool-call block ends it
                cases.add(new Case(template, "Let me check the time\n\n" + dsml(block, invoke("get_time", param("city", true, "Tokyo"))))
                        .thinking(true).tools("get_time_tool")
                        .expect("", "Let me check the time", call("get_time", "{\"city\": \"Tokyo\"}")));
            }
        }
        // DeepSeek V4-Flash-0731: the DSML separator belongs to the tool-call block, not the content
        cases.add(new Case(V4_FLASH, "\n\n" + dsml("tool_calls", invoke("special_function", param("arg1", false, "1"))))
                .thinking(false).tools("special_function_tool").expect("", "", call("special_function", "{\"arg1\": 1}")));

        // R1 Distill Llama 8B (forced-open thinking)
        cases.add(new Case(DISTILL_LLAMA, "</think>Hello, world!\nWhat's up?").expect(HELLO, ""));
        cases.add(new Case(DISTILL_LLAMA, "I'm\nthinking</think>Hello, world!\nWhat's up?").thinking(true).expect(HELLO, "I'm\nthinking"));
        cases.addAll(continuations(DISTILL_LLAMA));
        // llama.cpp's R1 template
        cases.add(new Case(LLAMA_CPP_R1, "</think>Hello, world!\nWhat's up?").expect(HELLO, ""));
        cases.add(new Case(LLAMA_CPP_R1, "I'm\nthinking</think>Hello, world!\nWhat's up?").expect(HELLO, "I'm\nthinking"));
        cases.add(new Case(LLAMA_CPP_R1, "</think><｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>special_function\n"
                + "```json\n{\"arg1\": 1}```<｜tool▁call▁end｜><｜tool▁calls▁end｜>").tools("special_function_tool").parallel()
                .expect("", "", call("special_function", "{\"arg1\": 1}")));
        cases.addAll(continuations(LLAMA_CPP_R1));
        // R1 Distill Qwen 32B
        cases.add(new Case(DISTILL_QWEN, "</think>Hello, world!\nWhat's up?").thinking(true).expect(HELLO, ""));
        cases.add(new Case(DISTILL_QWEN, "I'm\nthinking</think>Hello, world!\nWhat's up?").expect(HELLO, "I'm\nthinking"));
        cases.add(new Case(DISTILL_QWEN, "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>special_function\n"
                + "```json\n{\"arg1\": 1}```<｜tool▁call▁end｜><｜tool▁calls▁end｜>").tools("special_function_tool").thinking(false)
                .expect("", "", call("special_function", "{\"arg1\": 1}")));
        cases.addAll(continuations(DISTILL_QWEN));
        return cases;
    }

    @Test
    void theCasesCoverEveryDeepSeekCaseAndTemplateOfLlamaCppsTests() throws Exception {
        Map<String, Integer> upstream = upstreamCounts(LlamaSource.read("tests/test-chat.cpp"));
        Map<String, Integer> ours = new TreeMap<>();
        cases().forEach(c -> ours.merge(c.template, 1, Integer::sum));
        System.out.println("test-chat.cpp DeepSeek cases per template: " + upstream + "; here: " + ours);
        assertEquals(upstream, ours, "DeepSeek peg_tester cases per template in test-chat.cpp vs. here");
        List<String> templates = new ArrayList<>();
        try (var files = java.nio.file.Files.list(LlamaSource.dir().resolve("models/templates"))) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.toLowerCase().contains("deepseek")).sorted().forEach(templates::add);
        }
        for (String t : templates) {
            if (!t.contains("Coder") && !t.contains("V2")) {
                assertTrue(ours.containsKey(t), "no case for the DeepSeek template " + t);
            }
        }
        assertTrue(ours.keySet().size() >= 7, "templates covered: " + ours.keySet());
    }

    @TestFactory
    List<DynamicTest> llamaCppsCannedDeepSeekOutputsParseAsItsTestsExpect() {
        Map<String, JinjaTemplates> loaded = new LinkedHashMap<>();
        List<DynamicTest> tests = new ArrayList<>();
        for (Case c : cases()) {
            tests.add(DynamicTest.dynamicTest(c.toString(), () -> {
                JinjaTemplates jinja = loaded.computeIfAbsent(c.template, t -> JinjaTemplates.of(model,
                        LlamaSource.read("models/templates/" + t), "the template file " + t));
                JsonNode rendered = JSON.readTree(jinja.apply(request(c).toString()));
                ObjectNode params = JSON.createObjectNode();
                params.put("format", rendered.path("format").asInt());
                params.put("parser", rendered.path("parser").asText());
                params.put("generation_prompt", rendered.path("generation_prompt").asText());
                params.put("reasoning_format", rendered.path("reasoning_format").asText());
                params.put("parse_tool_calls", true); // the test's common_chat_parser_params default
                JsonNode msg = JSON.readTree(JinjaTemplates.parse(params.toString(), c.input));
                String where = c + "\n" + msg;
                assertEquals(c.reasoning.strip(), msg.path("reasoning_content").asText().strip(), "reasoning of " + where);
                assertEquals(c.content.strip(), msg.path("content").asText().strip(), "content of " + where);
                JsonNode calls = msg.path("tool_calls");
                assertEquals(c.calls.size(), calls.size(), "tool calls of " + where);
                for (int i = 0; i < c.calls.size(); i++) {
                    JsonNode actual = calls.get(i);
                    assertEquals(c.calls.get(i).name(), actual.path("name").asText(), "call " + i + " of " + where);
                    assertEquals(JSON.readTree(c.calls.get(i).arguments()), JSON.readTree(actual.path("arguments").asText()),
                            "arguments of call " + i + " of " + where);
                    assertEquals("", actual.path("id").asText(), "id of call " + i + " of " + where);
                }
            }));
        }
        tests.add(DynamicTest.dynamicTest("close templates", () -> loaded.values().forEach(JinjaTemplates::close)));
        return tests;
    }

    /** The request body llama.cpp's peg_tester builds for this case, as llama-server's OpenAI JSON. */
    private static ObjectNode request(Case c) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode messages = body.putArray("messages");
        messages.addObject().put("role", "user").put("content", "Hey there!");
        if (c.prefill != null) {
            try {
                messages.add(JSON.readTree(c.prefill));
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
            body.put("add_generation_prompt", false);
            body.put("continue_final_message", c.continuation);
        }
        if (!c.tools.isEmpty()) {
            ArrayNode list = body.putArray("tools");
            c.tools.forEach(t -> list.add(tool(t)));
            body.put("tool_choice", "auto");
        }
        body.put("parallel_tool_calls", c.parallel);
        body.put("reasoning_format", "deepseek");
        body.putObject("chat_template_kwargs").put("enable_thinking", c.thinking);
        return body;
    }

    private static ObjectNode tool(String variable) {
        ObjectNode t = tools.get(variable);
        if (t == null) {
            throw new IllegalStateException("test-chat.cpp defines no common_chat_tool " + variable);
        }
        return t;
    }

    /** The {@code static common_chat_tool NAME{name, description, parameters}} definitions of test-chat.cpp. */
    static Map<String, ObjectNode> tools(String source) {
        List<LlamaSource.Token> tokens = LlamaSource.tokenize(source);
        Map<String, ObjectNode> tools = new LinkedHashMap<>();
        for (int i = 0; i + 2 < tokens.size(); i++) {
            if (tokens.get(i).is("common_chat_tool") && tokens.get(i + 1).kind() == LlamaSource.Kind.IDENT && tokens.get(i + 2).is("{")) {
                int close = LlamaSource.matching(tokens, i + 2);
                List<List<LlamaSource.Token>> args = LlamaSource.arguments(tokens, i + 3, close);
                if (args.size() != 3) {
                    continue;
                }
                String variable = tokens.get(i + 1).text();
                ObjectNode tool = JSON.createObjectNode();
                tool.put("type", "function");
                ObjectNode f = tool.putObject("function");
                f.put("name", LlamaSource.string(args.get(0), variable + "'s name"));
                f.put("description", LlamaSource.string(args.get(1), variable + "'s description"));
                try {
                    f.set("parameters", JSON.readTree(LlamaSource.string(args.get(2), variable + "'s parameters")));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(variable + "'s parameters are not JSON", e);
                }
                tools.put(variable, tool);
                i = close;
            }
        }
        return tools;
    }

    /**
     * For each DeepSeek template, how many {@code .run()} cases test-chat.cpp runs in the blocks that open a
     * {@code peg_tester} on it.
     */
    static Map<String, Integer> upstreamCounts(String source) {
        List<LlamaSource.Token> tokens = LlamaSource.tokenize(source);
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i + 2 < tokens.size(); i++) {
            if (!tokens.get(i).is("peg_tester") || !tokens.get(i + 1).is("(") || tokens.get(i + 2).kind() != LlamaSource.Kind.STRING) {
                continue;
            }
            String path = tokens.get(i + 2).text();
            if (!path.toLowerCase().contains("deepseek")) {
                continue;
            }
            // the enclosing block: back to the unmatched '{'
            int depth = 0;
            int open = i;
            while (open > 0) {
                open--;
                LlamaSource.Token t = tokens.get(open);
                if (t.is("}")) {
                    depth++;
                } else if (t.is("{")) {
                    if (depth == 0) {
                        break;
                    }
                    depth--;
                }
            }
            int close = LlamaSource.matching(tokens, open);
            int runs = 0;
            for (int j = i; j + 2 < close; j++) {
                if (tokens.get(j).is(".") && tokens.get(j + 1).is("run") && tokens.get(j + 2).is("(")) {
                    runs++;
                }
            }
            counts.merge(path.substring(path.lastIndexOf('/') + 1), runs, Integer::sum);
        }
        return counts;
    }
}
