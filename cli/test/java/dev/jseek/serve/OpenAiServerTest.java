package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import dev.jseek.chat.ChatOptions;
import dev.jseek.wire.InvalidFieldException;
import dev.jseek.wire.OpenAiChat;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI chat-completions protocol on the tiny model: JSON and streamed, schemas, and errors that leave the server serving. */
class OpenAiServerTest {
    private static TestServer s;

    @BeforeAll
    static void start() throws IOException {
        s = TestServer.start(TestServer.settings(null, 2, 8, null), ServeHooks.NONE);
    }

    @AfterAll
    static void stop() {
        s.close();
    }

    private static final String HELLO = "{\"model\": \"tiny\", \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, "
            + "{\"role\": \"user\", \"content\": \"Why is the sea salty?\"}]";

    @Test
    void answersWithReasoningAndContentApartAndCountsTokens() throws Exception {
        HttpResponse<String> r = s.post("/v1/chat/completions", HELLO + "}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = TestServer.json(r);
        assertEquals("chat.completion", body.path("object").asText());
        JsonNode message = body.path("choices").path(0).path("message");
        assertEquals("assistant", message.path("role").asText());
        assertFalse(message.path("reasoning_content").asText().isEmpty(), "the tiny model reasons first: " + body);
        assertFalse(message.path("content").asText().isEmpty(), "the forced </think> leaves room for an answer: " + body);
        assertFalse(message.path("content").asText().contains("</think>"), body.toString());
        assertEquals("length", body.path("choices").path(0).path("finish_reason").asText(), "40 tokens of noise end by length");
        JsonNode usage = body.path("usage");
        assertEquals(40, usage.path("completion_tokens").asInt());
        assertTrue(usage.path("prompt_tokens").asInt() > 5, usage.toString());
        assertEquals(usage.path("prompt_tokens").asInt() + 40, usage.path("total_tokens").asInt());
    }

    @Test
    void streamsTheSameReplyAsDeltasEndingWithDone() throws Exception {
        String plain = TestServer.json(s.post("/v1/chat/completions", HELLO + "}")).path("choices").path(0).path("message").toString();
        HttpResponse<java.util.stream.Stream<String>> r = s.client.send(s.request("/v1/chat/completions")
                .POST(HttpRequest.BodyPublishers.ofString(HELLO + ", \"stream\": true, \"stream_options\": {\"include_usage\": true}}")).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<String> data = new ArrayList<>();
        r.body().filter(l -> !l.isEmpty()).forEach(l -> {
            assertTrue(l.startsWith("data: "), l);
            data.add(l.substring(6));
        });
        assertEquals("[DONE]", data.getLast());
        StringBuilder reasoning = new StringBuilder();
        StringBuilder content = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String d : data.subList(0, data.size() - 1)) {
            JsonNode chunk = Json.MAPPER.readTree(d);
            assertEquals("chat.completion.chunk", chunk.path("object").asText());
            if (chunk.path("choices").isEmpty()) {
                usage = chunk.path("usage");
                continue;
            }
            JsonNode choice = chunk.path("choices").path(0);
            JsonNode delta = choice.path("delta");
            assertFalse(delta.has("reasoning_content") && delta.has("content") && !delta.path("content").asText().isEmpty(),
                    "a delta carries reasoning or answer, never both: " + d);
            reasoning.append(delta.path("reasoning_content").asText(""));
            content.append(delta.path("content").asText(""));
            if (!choice.path("finish_reason").isNull()) {
                finish = choice.path("finish_reason").asText();
            }
        }
        JsonNode expected = Json.MAPPER.readTree(plain);
        assertEquals(expected.path("reasoning_content").asText(), reasoning.toString(), "greedy: the stream is the JSON reply");
        assertEquals(expected.path("content").asText(), content.toString());
        assertEquals("length", finish);
        assertNotNull(usage, "include_usage sends a last chunk with the usage");
        assertEquals(40, usage.path("completion_tokens").asInt());
    }

    @Test
    void aJsonSchemaShapesTheAnswer() throws Exception {
        HttpResponse<String> r = s.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Yes or no?\"}], "
                + "\"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"verdict\", \"schema\": "
                + "{\"type\": \"object\", \"properties\": {\"answer\": {\"enum\": [\"yes\", \"no\"]}}, \"required\": [\"answer\"]}}}}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode choice = TestServer.json(r).path("choices").path(0);
        JsonNode answer = Json.MAPPER.readTree(choice.path("message").path("content").asText());
        assertTrue(List.of("yes", "no").contains(answer.path("answer").asText()), choice.toString());
        assertEquals("stop", choice.path("finish_reason").asText(), "the grammar ends the answer: " + choice);
    }

    /** A bad field is answered with the wire reader's own sentence (the same one a batch line's error record holds). */
    @Test
    void aBadFieldIsTheWireReadersSentence() throws Exception {
        for (String field : List.of("\"temperature\": \"abc\"", "\"presence_penalty\": \"abc\"")) {
            String body = HELLO + ", " + field + "}";
            HttpResponse<String> r = s.post("/v1/chat/completions", body);
            assertError(r, 400, "invalid_value");
            String sentence = assertThrows(InvalidFieldException.class,
                    () -> OpenAiChat.read(Json.MAPPER.readTree(body), ChatOptions.defaults().reply())).getMessage();
            assertEquals(sentence, TestServer.json(r).path("error").path("message").asText());
        }
        HttpResponse<String> completion = s.post("/v1/completions", "{\"prompt\": \"x\", \"temperature\": \"abc\"}");
        assertError(completion, 400, "invalid_value");
        assertEquals("temperature must be a number, not \"abc\".", TestServer.json(completion).path("error").path("message").asText());
    }

    @Test
    void badRequestsGetOpenAiErrorsAndTheServerKeepsServing() throws Exception {
        assertError(s.post("/v1/chat/completions", "{\"messages\": [}"), 400, "invalid_json");
        assertError(s.post("/v1/chat/completions", "[1, 2]"), 400, "invalid_json");
        assertError(s.post("/v1/chat/completions", HELLO + ", \"temprature\": 0.5}"), 400, "unknown_parameter");
        assertError(s.post("/v1/chat/completions", HELLO + ", \"temperature\": \"hot\"}"), 400, "invalid_value");
        assertError(s.post("/v1/chat/completions", HELLO + ", \"top_p\": 7}"), 400, "invalid_value");
        assertError(s.post("/v1/chat/completions", HELLO + ", \"max_tokens\": 0}"), 400, "invalid_value");
        assertError(s.post("/v1/chat/completions", HELLO + ", \"top_k\": -1}"), 400, "invalid_value");
        assertError(s.post("/v1/chat/completions", HELLO + ", \"seed\": 99999999999}"), 400, "invalid_value");
        // the demo's R1 template has no tool-call grammar: a required call cannot be enforced there
        assertError(s.post("/v1/chat/completions", HELLO + ", \"tool_choice\": \"required\", \"tools\": [{\"type\": \"function\", "
                + "\"function\": {\"name\": \"f\"}}]}"), 400, "invalid_value");
        assertError(s.post("/v1/chat/completions", HELLO + ", \"reasoning_effort\": \"high\"}"), 400, "invalid_value"); // R1 has no levels
        assertError(s.post("/v1/chat/completions", "{\"messages\": []}"), 400, "missing_required_parameter");
        assertError(s.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]}"), 400, "invalid_value");
        assertError(s.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"assistant\", \"content\": \"hi\"}]}"), 400, "invalid_value");
        assertError(s.post("/v1/chat/completions", HELLO + ", \"response_format\": {\"type\": \"xml\"}}"), 400, "invalid_value");
        assertError(s.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"" + "a".repeat(70_000) + "\"}]}"),
                413, "request_too_large");
        assertError(s.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"" + "sea ".repeat(6_000) + "\"}]}"),
                400, "context_length_exceeded");
        assertError(s.post("/v1/nothing", "{}"), 404, "unknown_url");
        assertError(s.get("/v1/chat/completions"), 405, "method_not_allowed");
        assertEquals(200, s.post("/v1/chat/completions", HELLO + ", \"max_tokens\": 3, \"top_k\": 40, \"min_p\": 0.05, \"seed\": 7, "
                + "\"temperature\": 0.7, \"stop\": [\"x\"]}").statusCode(), "still serving");
    }

    @Test
    void healthModelsAndMetrics() throws Exception {
        HttpResponse<String> health = s.get("/health");
        assertEquals(200, health.statusCode());
        assertEquals("ok", TestServer.json(health).path("status").asText());
        JsonNode models = TestServer.json(s.get("/v1/models"));
        assertEquals("tiny", models.path("data").path(0).path("id").asText());
        s.post("/v1/chat/completions", HELLO + ", \"max_tokens\": 2}");
        String metrics = s.get("/metrics").body();
        assertTrue(metrics.contains("jseek_requests_total{endpoint=\"chat_completions\",status=\"200\"}"), metrics);
        assertTrue(metrics.contains("jseek_slots_total 2"), metrics);
        assertTrue(metrics.contains("jseek_queue_depth 0"), metrics);
        assertTrue(metrics.contains("jseek_kv_capacity_tokens{slot=\"0\"} 4096"), metrics);
        assertTrue(metrics.contains("jseek_prompt_tokens_cached_total "), metrics);
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("jseek_completion_tokens_total ") && !l.endsWith(" 0")), metrics);
    }

    /**
     * Two conversations on the two slots; the older one's continuation goes to its own slot (where least-recently-used
     * would pick the other) and decodes only what is new.
     */
    @Test
    void aContinuedConversationReturnsToTheSlotThatHoldsIt() throws Exception {
        String first = "{\"role\": \"user\", \"content\": \"First conversation, first question.\"}";
        JsonNode a = TestServer.json(s.post("/v1/chat/completions", "{\"messages\": [" + first + "]}"));
        s.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Another conversation.\"}]}");
        String answer = Json.MAPPER.writeValueAsString(a.path("choices").path(0).path("message").path("content").asText());
        JsonNode next = TestServer.json(s.post("/v1/chat/completions", "{\"messages\": [" + first + ", {\"role\": \"assistant\", "
                + "\"content\": " + answer + "}, {\"role\": \"user\", \"content\": \"And then?\"}]}"));
        int cached = next.path("usage").path("prompt_tokens_details").path("cached_tokens").asInt();
        // all of the first prompt but the R1 template's "<think>\n" prefill (not in the history) comes from the cache;
        // the other slot shares only the BOS and the user marker with it
        assertTrue(cached >= a.path("usage").path("prompt_tokens").asInt() - 2,
                "the first turn's prompt came from the cache: " + next.path("usage") + " after " + a.path("usage"));
    }

    @Test
    void completionsContinueRawTextStreamedOrNotAndCutAtStopStrings() throws Exception {
        String request = "{\"model\": \"tiny\", \"prompt\": \"The sea is\", \"max_tokens\": 12, \"temperature\": 0";
        HttpResponse<String> r = s.post("/v1/completions", request + "}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = TestServer.json(r);
        assertEquals("text_completion", body.path("object").asText());
        String text = body.path("choices").path(0).path("text").asText();
        assertFalse(text.isEmpty(), r.body());
        assertEquals("length", body.path("choices").path(0).path("finish_reason").asText());
        assertEquals(12, body.path("usage").path("completion_tokens").asInt());

        HttpResponse<java.util.stream.Stream<String>> streamed = s.client.send(s.request("/v1/completions")
                .POST(HttpRequest.BodyPublishers.ofString(request + ", \"stream\": true}")).build(), HttpResponse.BodyHandlers.ofLines());
        StringBuilder joined = new StringBuilder();
        for (String line : streamed.body().filter(l -> l.startsWith("data: {")).toList()) {
            joined.append(Json.MAPPER.readTree(line.substring(6)).path("choices").path(0).path("text").asText());
        }
        assertEquals(text, joined.toString(), "greedy from an empty cache: the stream is the JSON reply");

        String stop = text.substring(text.length() / 2, text.length() / 2 + 2);
        JsonNode cut = TestServer.json(s.post("/v1/completions", request + ", \"stop\": " + Json.MAPPER.writeValueAsString(stop) + "}"));
        assertEquals(text.substring(0, text.indexOf(stop)), cut.path("choices").path(0).path("text").asText(), cut.toString());
        assertEquals("stop", cut.path("choices").path(0).path("finish_reason").asText());
        assertError(s.post("/v1/completions", "{\"prompt\": \"x\", \"echo\": true}"), 400, "invalid_value");
        assertError(s.post("/v1/completions", "{\"prompt\": 3}"), 400, "missing_required_parameter");
    }

    /**
     * Every mistake of the caller is a 400 with one sentence, never a 500: JSON nested past the limit (100,000 deep
     * answered 500 with a NullPointerException's text), a schema llama.cpp's converter rejects, a template refusal.
     */
    @Test
    void theCallersMistakesAre400SentencesNeverServerErrors() throws Exception {
        // within the 64 KiB body limit of the test server, far past the nesting limit
        HttpResponse<String> deep = s.post("/v1/chat/completions", "{\"messages\": " + "[".repeat(30_000) + "]".repeat(30_000) + "}");
        assertError(deep, 400, "invalid_json");
        String message = TestServer.json(deep).path("error").path("message").asText();
        assertTrue(message.contains("deeper than " + Json.MAX_DEPTH + " levels") && !message.contains("Exception"), message);
        assertError(s.post("/v1/chat/completions", "{\"messages\": " + "[".repeat(30_000)), 400, "invalid_json"); // and unclosed
        // just inside the limit, the body parses and the field is what is wrong
        String nested = "[".repeat(Json.MAX_DEPTH - 2) + "]".repeat(Json.MAX_DEPTH - 2);
        HttpResponse<String> inside = s.post("/v1/chat/completions", "{\"messages\": [" + nested + "]}");
        assertError(inside, 400, "invalid_value");
        assertTrue(TestServer.json(inside).path("error").path("message").asText().startsWith("messages[0]"), inside.body());

        HttpResponse<String> schema = s.post("/v1/chat/completions", HELLO + ", \"response_format\": {\"type\": \"json_schema\", "
                + "\"json_schema\": {\"name\": \"x\", \"schema\": {\"type\": \"object\", \"properties\": {\"a\": {\"type\": \"foo\"}}}}}}");
        assertError(schema, 400, "invalid_value");
        String why = TestServer.json(schema).path("error").path("message").asText();
        assertTrue(why.startsWith("response_format.json_schema.schema") && why.contains("foo") && why.lines().count() == 1, why);
        assertEquals(200, s.post("/v1/chat/completions", HELLO + ", \"max_tokens\": 2}").statusCode(), "still serving");
    }

    static void assertError(HttpResponse<String> r, int status, String code) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode error = TestServer.json(r).path("error");
        assertEquals(code, error.path("code").asText(), r.body());
        assertFalse(error.path("message").asText().isEmpty(), r.body());
        assertFalse(error.path("type").asText().isEmpty(), r.body());
    }
}
