package dev.jseek.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatTools;
import dev.jseek.chat.ReplyOptions;
import dev.jseek.chat.ToolCall;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The one reader of OpenAI chat requests, field by field: what it accepts becomes the runtime's messages and reply
 * options, and every mistake is one {@link InvalidFieldException} sentence with OpenAI's error code. The server, a
 * batch line and LangChain4j all read through it (their own tests check that the same sentence reaches each).
 */
class OpenAiChatTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HI = "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]";
    private static final ReplyOptions BASE = ChatOptions.defaults().reply();

    private static OpenAiChat.Request read(String body) throws Exception {
        return OpenAiChat.read(JSON.readTree(body), BASE);
    }

    private static InvalidFieldException bad(String body) throws Exception {
        JsonNode node = JSON.readTree(body);
        return assertThrows(InvalidFieldException.class, () -> OpenAiChat.read(node, BASE), body);
    }

    private static void badValue(String body, String sentence) throws Exception {
        InvalidFieldException e = bad(body);
        assertEquals(InvalidFieldException.Code.INVALID_VALUE, e.code(), e.getMessage());
        assertEquals(sentence, e.getMessage());
    }

    @Test
    void samplingFieldsBecomeTheReplysSampling() throws Exception {
        OpenAiChat.Request r = read(HI + ", \"temperature\": 0.25, \"top_p\": 0.5, \"top_k\": 7, \"min_p\": 0.1, \"seed\": 42,"
                + " \"frequency_penalty\": 0.5, \"presence_penalty\": 0.25, \"max_tokens\": 9, \"stop\": \"x\", \"stream\": true,"
                + " \"stream_options\": {\"include_usage\": true}, \"reasoning_effort\": \"high\", \"thinking\": {\"type\": \"disabled\"}}");
        SamplerParams s = r.reply().sampling();
        assertEquals(0.25f, s.temperature());
        assertEquals(0.5f, s.topP());
        assertEquals(7, s.topK());
        assertEquals(0.1f, s.minP());
        assertEquals(42, s.seed());
        assertEquals(0.5f, s.frequencyPenalty());
        assertEquals(0.25f, s.presencePenalty());
        assertEquals(9, r.reply().maxTokens());
        assertEquals(List.of("x"), r.reply().stopStrings());
        assertEquals("high", r.reply().reasoningEffort());
        assertEquals(false, r.reply().thinking());
        assertTrue(r.stream() && r.includeUsage());
        assertEquals(List.of(ChatMessage.user("hi")), r.messages());
    }

    @Test
    void absentFieldsKeepTheBase() throws Exception {
        ReplyOptions base = BASE.withStopStrings(List.of("END")).withMaxTokens(5);
        ReplyOptions r = OpenAiChat.read(JSON.readTree(HI + "}"), base).reply();
        assertEquals(base, r);
        assertEquals(7, read(HI + ", \"max_completion_tokens\": 7, \"max_tokens\": 3}").reply().maxTokens(), "the newer name wins");
    }

    @Test
    void badTypesAreSentencesNamingTheField() throws Exception {
        String[][] cases = {
                {"\"temperature\": \"abc\"", "temperature must be a number, not \"abc\"."},
                {"\"frequency_penalty\": [1]", "frequency_penalty must be a number, not [1]."},
                {"\"presence_penalty\": true", "presence_penalty must be a number, not true."},
                {"\"top_k\": 1.5", "top_k must be an integer, not 1.5."},
                {"\"seed\": 99999999999999999999", "seed must be an integer, not 99999999999999999999."},
                {"\"max_tokens\": \"9\"", "max_tokens must be an integer, not \"9\"."},
                {"\"stream\": \"yes\"", "stream must be true or false, not \"yes\"."},
                {"\"stop\": [\"a\", 1]", "stop must be a string or an array of strings, not [\"a\",1]."},
                {"\"reasoning_effort\": 3", "reasoning_effort must be a level name such as high or max, not 3."},
                {"\"parallel_tool_calls\": \"no\"", "parallel_tool_calls must be true or false, not \"no\"."},
                {"\"response_format\": \"json\"", "response_format must be an object with a type: text, json_object or json_schema."},
                {"\"stream_options\": 1", "stream_options must be an object such as {\"include_usage\": true}."}};
        for (String[] c : cases) {
            badValue(HI + ", " + c[0] + "}", c[1]);
        }
    }

    @Test
    void outOfRangeValuesAreTheSamplersSentences() throws Exception {
        assertEquals("max_tokens must be at least 1, not 0.", bad(HI + ", \"max_tokens\": 0}").getMessage());
        assertTrue(bad(HI + ", \"top_p\": 7}").getMessage().contains("top-p"));
        assertTrue(bad(HI + ", \"temperature\": -1}").getMessage().contains("temperature"));
        assertTrue(bad(HI + ", \"top_k\": -1}").getMessage().contains("top-k"));
        assertEquals("n must be 1: jseek generates one choice per request.", bad(HI + ", \"n\": 2}").getMessage());
        assertTrue(bad(HI + ", \"response_format\": {\"type\": \"xml\"}}").getMessage().contains("'xml'"));
    }

    @Test
    void unknownFieldsAndMissingMessagesHaveTheirOwnCodes() throws Exception {
        InvalidFieldException typo = bad(HI + ", \"temprature\": 0.5}");
        assertEquals(InvalidFieldException.Code.UNKNOWN_PARAMETER, typo.code());
        assertEquals("Unrecognized request argument supplied: temprature.", typo.getMessage());
        assertEquals(InvalidFieldException.Code.UNKNOWN_PARAMETER, bad("{\"messages\": [{\"role\": \"user\", \"content\": \"hi\", \"mood\": 1}]}").code());
        assertEquals(InvalidFieldException.Code.MISSING_REQUIRED_PARAMETER, bad("{\"messages\": []}").code());
        assertEquals(InvalidFieldException.Code.MISSING_REQUIRED_PARAMETER, bad("{}").code());
        assertEquals("The request body must be a JSON object, not array.", bad("[1]").getMessage());
        assertEquals(InvalidFieldException.Code.INVALID_JSON, bad("[1]").code());
    }

    @Test
    void rolesAreCheckedAndTheLastMessageAsksForAReply() throws Exception {
        badValue("{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}",
                "messages[0].role: unknown role 'wizard'; use system, user, assistant or tool.");
        badValue("{\"messages\": [{\"role\": 1, \"content\": \"hi\"}]}", "messages[0].role must be system, developer, user, assistant or tool.");
        badValue("{\"messages\": [{\"role\": \"user\", \"content\": 5}]}", "messages[0].content must be a string or an array of text parts.");
        assertTrue(bad("{\"messages\": [{\"role\": \"assistant\", \"content\": \"hi\"}]}").getMessage().startsWith("The last message must be"));
        badValue("{\"messages\": [{\"role\": \"tool\", \"content\": \"x\"}]}",
                "messages[0] is a tool result without tool_call_id; give the id of the call it answers.");
        badValue("{\"messages\": [{\"role\": \"user\", \"content\": \"x\", \"tool_calls\": []}]}", "messages[0]: only assistant messages carry tool_calls.");
        List<ChatMessage> m = read("{\"messages\": [{\"role\": \"developer\", \"content\": \"be terse\"}, "
                + "{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"}, {\"type\": \"text\", \"text\": \"b\"}]}]}").messages();
        assertEquals(List.of(ChatMessage.system("be terse"), ChatMessage.user("ab")), m);
    }

    private static final String CALL_TURN = "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather?\"}, "
            + "{\"role\": \"assistant\", \"content\": null, \"reasoning_content\": \"dropped\", \"tool_calls\": [%s]}, "
            + "{\"role\": \"tool\", \"tool_call_id\": \"c1\", \"content\": \"sunny\"}]}";

    @Test
    void toolCallsKeepIdsAndReadArgumentsAsTextOrObject() throws Exception {
        List<ChatMessage> m = read(CALL_TURN.formatted(
                "{\"id\": \"c1\", \"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{\\\"a\\\": 1}\"}}, "
                        + "{\"id\": \"c2\", \"function\": {\"name\": \"g\", \"arguments\": {\"b\": [2]}}}, "
                        + "{\"function\": {\"name\": \"h\"}}")).messages();
        assertEquals(List.of(new ToolCall("f", "{\"a\": 1}", "c1"), new ToolCall("g", "{\"b\":[2]}", "c2"), new ToolCall("h", "{}", "")),
                m.get(1).toolCalls());
        assertEquals("", m.get(1).content(), "null content: a turn that only called tools; its reasoning is not sent back");
        assertEquals(ChatMessage.tool("c1", "sunny"), m.get(2));
    }

    @Test
    void badToolCallsAreSentences() throws Exception {
        String at = "messages[1].tool_calls[0]";
        badValue(CALL_TURN.formatted("{\"id\": \"c1\", \"function\": {}}"), at + " has no function.name.");
        badValue(CALL_TURN.formatted("{\"id\": 7, \"function\": {\"name\": \"f\"}}"), at + ".id must be a string, not 7.");
        badValue(CALL_TURN.formatted("{\"id\": \"c1\", \"function\": {\"name\": \"f\", \"arguments\": \"[1]\"}}"),
                at + ".function.arguments must be a JSON object.");
        badValue(CALL_TURN.formatted("{\"id\": \"c1\", \"function\": {\"name\": \"f\", \"arguments\": 3}}"),
                at + ".function.arguments must be a JSON object or its text, not number.");
        assertTrue(bad(CALL_TURN.formatted("{\"id\": \"c1\", \"function\": {\"name\": \"f\", \"arguments\": \"{oops\"}}"))
                .getMessage().startsWith(at + ".function.arguments is not valid JSON: "));
        badValue(CALL_TURN.formatted("{\"id\": \"c1\", \"function\": {\"name\": \"f\"}}, {\"id\": \"c1\", \"function\": {\"name\": \"g\"}}"),
                "messages[1].tool_calls[1].id c1 is the id of an earlier call in the same message; give each call its own id.");
        badValue(CALL_TURN.formatted("").replace("[]", "{}"), "messages[1].tool_calls must be an array of "
                + "{\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}.");
    }

    private static final String TOOLS = "[{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\"}}}, "
            + "{\"type\": \"function\", \"function\": {\"name\": \"g\"}}]";

    @Test
    void toolsAndToolChoice() throws Exception {
        ChatTools t = read(HI + ", \"tools\": " + TOOLS + ", \"parallel_tool_calls\": false}").reply().tools();
        assertEquals(List.of("f", "g"), t.names());
        assertEquals(ChatTools.Choice.AUTO, t.choice());
        assertEquals(false, t.parallel());
        ChatTools named = read(HI + ", \"tools\": " + TOOLS + ", \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"g\"}}}").reply().tools();
        assertEquals(List.of("g"), named.names());
        assertEquals(ChatTools.Choice.REQUIRED, named.choice());
        assertNull(read(HI + ", \"tool_choice\": \"auto\"}").reply().tools());
        badValue(HI + ", \"tool_choice\": \"required\"}", "tool_choice is set but no tools are given.");
        assertTrue(bad(HI + ", \"tools\": {\"not\": \"an array\"}}").getMessage().startsWith("tools is not a JSON array"));
        badValue(HI + ", \"tools\": " + TOOLS + ", \"tool_choice\": {\"function\": {\"name\": \"x\"}}}",
                "tool_choice names the function 'x', which is not among the tools.");
        assertTrue(bad(HI + ", \"tools\": " + TOOLS + ", \"tool_choice\": \"maybe\"}").getMessage().startsWith("tool_choice: "));
        // a batch's --tools are the base: a line's tool_choice applies to them
        ReplyOptions base = BASE.withTools(ChatTools.parse(TOOLS, "tools.json", ChatTools.Choice.AUTO).withParallel(true));
        ChatTools chosen = OpenAiReply.apply(JSON.readTree("{\"tool_choice\": \"none\"}"), base).tools();
        assertEquals(ChatTools.Choice.NONE, chosen.choice());
        assertEquals(true, chosen.parallel());
    }

    @Test
    void thinkingSwitches() throws Exception {
        assertEquals(true, read(HI + ", \"chat_template_kwargs\": {\"enable_thinking\": true}}").reply().thinking());
        assertEquals(false, read(HI + ", \"thinking\": false}").reply().thinking());
        badValue(HI + ", \"chat_template_kwargs\": {\"thinking\": \"on\"}}", "chat_template_kwargs.thinking must be true or false.");
        badValue(HI + ", \"thinking\": {\"type\": \"maybe\"}}", "thinking must be {\"type\": \"enabled\"} or {\"type\": \"disabled\"}, not {\"type\":\"maybe\"}.");
    }

    /** Deep nesting where the reader looks into values (content parts, arguments) is a sentence, not a stack overflow. */
    @Test
    void deepNestingIsASentence() throws Exception {
        String deep = "[".repeat(900) + "]".repeat(900);
        badValue("{\"messages\": [{\"role\": \"user\", \"content\": " + deep + "}]}",
                "messages[0].content: only text parts ({\"type\": \"text\", \"text\": ...}) are supported.");
        String deepArgs = "{\\\"a\\\": " + "[".repeat(5000) + "]".repeat(5000) + "}";
        assertTrue(bad(CALL_TURN.formatted("{\"id\": \"c1\", \"function\": {\"name\": \"f\", \"arguments\": \"" + deepArgs + "\"}}"))
                .getMessage().startsWith("messages[1].tool_calls[0].function.arguments is not valid JSON: "));
    }

    @Test
    void completionsReadTheSameSamplingFields() throws Exception {
        OpenAiCompletion.Request r = OpenAiCompletion.read(JSON.readTree("{\"prompt\": [\"Once\"], \"temperature\": 0.5, \"stop\": [\"\\n\"]}"), BASE);
        assertEquals("Once", r.prompt());
        assertEquals(0.5f, r.reply().sampling().temperature());
        assertEquals(16, r.reply().maxTokens(), "OpenAI's default for completions");
        assertEquals(List.of("\n"), r.reply().stopStrings());
        InvalidFieldException e = assertThrows(InvalidFieldException.class,
                () -> OpenAiCompletion.read(JSON.readTree("{\"prompt\": \"x\", \"temperature\": \"abc\"}"), BASE));
        assertEquals("temperature must be a number, not \"abc\".", e.getMessage());
        assertEquals(InvalidFieldException.Code.MISSING_REQUIRED_PARAMETER,
                assertThrows(InvalidFieldException.class, () -> OpenAiCompletion.read(JSON.readTree("{\"prompt\": 3}"), BASE)).code());
    }
}
