package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jseek.Generator;
import dev.jseek.chat.ChatTurn;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API key, the queue limit and client disconnects, each on a server of its own; latches, not sleeps. */
class ServerLimitsTest {
    private static final String HI = "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 4}";

    @Test
    void theApiKeyIsRequiredEverywhereButHealth() throws Exception {
        try (TestServer s = TestServer.start(TestServer.settings("s3cret", 1, 4, null), ServeHooks.NONE)) {
            OpenAiServerTest.assertError(s.post("/v1/chat/completions", HI), 401, "invalid_api_key");
            OpenAiServerTest.assertError(s.get("/v1/models"), 401, "invalid_api_key");
            HttpResponse<String> wrong = s.client.send(s.request("/v1/models").header("Authorization", "Bearer s3cre").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            OpenAiServerTest.assertError(wrong, 401, "invalid_api_key");
            assertEquals(200, s.get("/health").statusCode(), "health checks carry no key");
            HttpResponse<String> right = s.client.send(s.request("/v1/chat/completions").header("Authorization", "Bearer s3cret")
                    .POST(HttpRequest.BodyPublishers.ofString(HI)).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, right.statusCode(), right.body());
        }
    }

    @Test
    void aFullQueueAnswers503WithRetryAfterAndTheHeldRequestStillCompletes() throws Exception {
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        ServeHooks hold = new ServeHooks() {
            @Override
            public void slotTaken(int slot) throws InterruptedException {
                taken.countDown();
                go.await();
            }
        };
        // one slot, no queue: while the first request holds the slot, a second has nowhere to wait
        try (TestServer s = TestServer.start(TestServer.settings(null, 1, 0, null), hold)) {
            CompletableFuture<HttpResponse<String>> first = s.client.sendAsync(s.request("/v1/chat/completions")
                    .POST(HttpRequest.BodyPublishers.ofString(HI)).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(taken.await(2, TimeUnit.MINUTES), "the first request never got its slot");
            HttpResponse<String> second = s.post("/v1/chat/completions", HI);
            OpenAiServerTest.assertError(second, 503, "server_busy");
            assertEquals("1", second.headers().firstValue("Retry-After").orElse(null));
            assertTrue(s.get("/metrics").body().contains("jseek_slots_busy 1"));
            go.countDown();
            assertEquals(200, first.get(2, TimeUnit.MINUTES).statusCode());
            assertEquals(200, s.post("/v1/chat/completions", HI).statusCode(), "the slot is free again");
        }
    }

    @Test
    void aClientThatDisconnectsMidStreamCancelsItsGenerationAndFreesTheSlot() throws Exception {
        LinkedBlockingQueue<ChatTurn> ended = new LinkedBlockingQueue<>();
        ServeHooks watch = new ServeHooks() {
            @Override
            public void turnEnded(int slot, ChatTurn turn) {
                ended.add(turn);
            }
        };
        try (TestServer s = TestServer.start(TestServer.settings(null, 1, 4, null), watch)) {
            String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Tell me everything.\"}], \"max_tokens\": 3000, \"stream\": true}";
            try (Socket socket = new Socket()) {
                BufferedReader in = postChatCompletion(socket, s, body);
                String line;
                while ((line = in.readLine()) != null && !line.contains("reasoning_content")) {
                    // headers and the role chunk
                }
                assertNotNull(line, "the stream ended before any reasoning");
                socket.setSoLinger(true, 0); // a reset, as a killed client leaves it
            }
            ChatTurn turn = ended.poll(2, TimeUnit.MINUTES);
            assertNotNull(turn, "the generation did not end after the client left");
            assertEquals(Generator.StopReason.CANCELLED, turn.stop());
            assertTrue(turn.stats().generatedTokens() < 3000, "cancelled early, not run to max_tokens");
            HttpResponse<String> next = s.post("/v1/chat/completions", HI);
            assertEquals(200, next.statusCode(), "the slot is free for the next request");
            assertTrue(s.get("/metrics").body().contains("jseek_cancelled_total 1"));
        }
    }

    /**
     * A non-streaming client that hangs up while its reply is generated: the whitespace heartbeat's next write fails,
     * which cancels the generation and frees the slot. The hook holds the engine until the client is gone.
     */
    @Test
    void aNonStreamingClientThatHangsUpCancelsItsGenerationAndFreesTheSlot() throws Exception {
        LinkedBlockingQueue<ChatTurn> ended = new LinkedBlockingQueue<>();
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch gone = new CountDownLatch(1);
        ServeHooks watch = new ServeHooks() {
            @Override
            public void slotTaken(int slot) throws InterruptedException {
                if (taken.getCount() > 0) {
                    taken.countDown();
                    gone.await();
                }
            }

            @Override
            public void turnEnded(int slot, ChatTurn turn) {
                ended.add(turn);
            }

            @Override
            public java.time.Duration heartbeat() {
                return java.time.Duration.ZERO;
            }
        };
        try (TestServer s = TestServer.start(TestServer.settings(null, 1, 4, null), watch)) {
            String body = "{\"messages\": [{\"role\": \"user\", \"content\": \"Tell me everything.\"}], \"max_tokens\": 3000}";
            try (Socket socket = new Socket()) {
                BufferedReader in = postChatCompletion(socket, s, body);
                assertEquals("HTTP/1.1 200 OK", in.readLine(), "the heartbeat sends the status before the reply is ready");
                assertTrue(taken.await(2, TimeUnit.MINUTES), "the request never got its slot");
                socket.setSoLinger(true, 0); // a reset, as a killed client leaves it
            }
            gone.countDown();
            ChatTurn turn = ended.poll(2, TimeUnit.MINUTES);
            assertNotNull(turn, "the generation did not end after the client left");
            assertEquals(Generator.StopReason.CANCELLED, turn.stop());
            assertTrue(turn.stats().generatedTokens() < 3000, "cancelled early, not run to max_tokens");
            HttpResponse<String> next = s.post("/v1/chat/completions", HI);
            assertEquals(200, next.statusCode(), "the slot is free for the next request");
            assertTrue(s.get("/metrics").body().contains("jseek_cancelled_total 1"));
        }
    }

    /** Shutdown cancels the reply being generated (its client gets a 503), waits for it, and frees the context. */
    @Test
    void shutdownCancelsTheReplyInFlightAndAnswersIt503() throws Exception {
        CountDownLatch taken = new CountDownLatch(1);
        CountDownLatch go = new CountDownLatch(1);
        ServeHooks hold = new ServeHooks() {
            @Override
            public void slotTaken(int slot) throws InterruptedException {
                taken.countDown();
                go.await();
            }

            @Override
            public java.time.Duration heartbeat() {
                return java.time.Duration.ofHours(1); // the status stays open: the 503 can still be sent
            }
        };
        TestServer s = TestServer.start(TestServer.settings(null, 1, 4, null), hold);
        try {
            CompletableFuture<HttpResponse<String>> running = s.client.sendAsync(s.request("/v1/chat/completions")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [{\"role\": \"user\", \"content\": \"Go on.\"}], "
                            + "\"max_tokens\": 3000}")).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(taken.await(2, TimeUnit.MINUTES), "the request never got its slot");
            CompletableFuture<Boolean> stopped = CompletableFuture.supplyAsync(s.server::shutdown);
            go.countDown();
            OpenAiServerTest.assertError(running.get(2, TimeUnit.MINUTES), 503, "cancelled");
            assertTrue(stopped.get(2, TimeUnit.MINUTES), "the generation ended within the bound, and the context was freed");
        } finally {
            s.close();
        }
    }

    @Test
    void requiredToolChoiceOnTheV32TemplateGivesAnOpenAiToolCall() throws Exception {
        try (TestServer s = TestServer.start(TestServer.settings(null, 1, 4, TestServer.v32Template()), ServeHooks.NONE)) {
            String tools = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Weather in days\", "
                    + "\"parameters\": {\"type\": \"object\", \"properties\": {\"days\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 7}}, \"required\": [\"days\"]}}}]";
            HttpResponse<String> r = s.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"}], "
                    + "\"tools\": " + tools + ", \"tool_choice\": \"required\", \"parallel_tool_calls\": false, \"max_tokens\": 160, \"chat_template_kwargs\": {\"thinking\": false}}");
            assertEquals(200, r.statusCode(), r.body());
            JsonNode message = TestServer.json(r).path("choices").path(0).path("message");
            JsonNode call = message.path("tool_calls").path(0);
            assertEquals("function", call.path("type").asText(), r.body());
            assertEquals("get_weather", call.path("function").path("name").asText(), r.body());
            assertTrue(call.path("function").path("arguments").isTextual(), "arguments are JSON text, as OpenAI sends them");
            assertTrue(!call.path("id").asText().isEmpty(), r.body());
            assertTrue(message.path("content").isNull(), "a reply that only calls has null content: " + message);
            // the result goes back as OpenAI clients send it: the assistant's call, then the tool message (arguments
            // written here: the tiny model's are noise, cut off by max_tokens)
            String sent = "{\"id\": " + call.path("id") + ", \"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
                    + "\"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}}";
            OpenAiServerTest.assertError(s.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather?\"}, "
                    + "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [" + sent.replace("Paris\\\"}", "Paris") + "]}, "
                    + "{\"role\": \"tool\", \"tool_call_id\": \"x\", \"content\": \"sunny\"}]}"), 400, "invalid_value");
            HttpResponse<String> after = s.post("/v1/chat/completions", "{\"messages\": [{\"role\": \"user\", \"content\": \"Weather in Paris?\"}, "
                    + "{\"role\": \"assistant\", \"content\": null, \"tool_calls\": [" + sent + "]}, "
                    + "{\"role\": \"tool\", \"tool_call_id\": " + call.path("id") + ", \"content\": \"sunny, 21 C\"}], "
                    + "\"tools\": " + tools + ", \"max_tokens\": 8, \"chat_template_kwargs\": {\"thinking\": false}}");
            assertEquals(200, after.statusCode(), after.body());
        }
    }

    /** Sends a chat completion over a plain socket (so the test can reset it) and returns the response's reader. */
    private static BufferedReader postChatCompletion(Socket socket, TestServer s, String body) throws java.io.IOException {
        socket.connect(new InetSocketAddress(s.server.address().getAddress(), s.server.address().getPort()));
        OutputStream out = socket.getOutputStream();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: "
                + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }
}
