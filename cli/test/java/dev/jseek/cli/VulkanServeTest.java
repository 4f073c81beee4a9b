package dev.jseek.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `jseek serve -ngl 99` on the Vulkan device: two requests decoded in the same batches (the second sent while the first
 * streams, and the first still generating when the second has its whole answer). Skipped, saying why, where there is
 * no Vulkan entry or device (VulkanTest).
 */
class VulkanServeTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String LONG = "{\"messages\": [{\"role\": \"user\", \"content\": \"Why is the sea salty?\"}], \"max_tokens\": 64";
    private static final String SHORT = "{\"messages\": [{\"role\": \"user\", \"content\": \"Name a colour.\"}], \"max_tokens\": 8";

    @BeforeAll
    static void device() throws IOException, InterruptedException {
        VulkanTest.entry();
    }

    /** A `jseek serve` process on the Vulkan entry and device, greedy, on a free loopback port. */
    private record Server(Process process, String url, StringBuffer stderr) implements AutoCloseable {
        static Server start(int parallel) throws Exception {
            List<String> command = new ArrayList<>(Subprocess.command(List.of("serve", "--port", "0", "-m", VulkanTest.MODEL.toString(),
                    "-ngl", "99", "--parallel", String.valueOf(parallel), "--temp", "0", "--no-preflight")));
            command.add(1, "-Djseek.native.dir=" + VulkanTest.entry);
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            VulkanTest.devices(pb.environment(), true);
            Process p = pb.start();
            StringBuffer stderr = new StringBuffer();
            CompletableFuture<String> url = new CompletableFuture<>();
            Thread.ofPlatform().daemon().start(() -> {
                Matcher m = Pattern.compile("^jseek serve: listening on (http://\\S+)").matcher("");
                try (BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = err.readLine()) != null; ) {
                        stderr.append(line).append('\n');
                        if (m.reset(line).find()) {
                            url.complete(m.group(1));
                        }
                    }
                } catch (IOException e) {
                    // the pipe closes when the process ends
                }
                url.complete(null);
            });
            String base = url.get(5, TimeUnit.MINUTES);
            assertNotNull(base, "no 'listening on' line: " + stderr);
            return new Server(p, base, stderr);
        }

        HttpRequest post(String body) {
            return HttpRequest.newBuilder(URI.create(url + "/v1/chat/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        }

        /** A non-streamed reply. */
        JsonNode reply(HttpClient client, String body) throws Exception {
            HttpResponse<String> r = client.send(post(body + "}"), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            return JSON.readTree(r.body());
        }

        long slotsBusy(HttpClient client) throws Exception {
            String metrics = client.send(HttpRequest.newBuilder(URI.create(url + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("(?m)^jseek_slots_busy (\\d+)").matcher(metrics);
            assertTrue(m.find(), metrics);
            return Long.parseLong(m.group(1));
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(1, TimeUnit.MINUTES)) {
                process.destroyForcibly();
            }
        }
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? "" : node.asText();
    }

    /** reasoning|answer of a non-streamed reply. */
    private static String replyText(JsonNode reply) {
        JsonNode message = reply.get("choices").get(0).get("message");
        return text(message.get("reasoning_content")) + "|" + text(message.get("content"));
    }

    /**
     * Continuous batching on the device: both requests are answered in full while sharing the batches. Equality with
     * each request alone is recorded, not required: on the device a sequence's logits depend on what shares its batch
     * (seen here: the short reply differed after its first token), where the CPU build's ChatEngineTest requires it.
     */
    @Test
    void twoRequestsShareTheBatchesOnTheDeviceAndEachIsAnsweredInFull() throws Exception {
        String longTogether;
        String shortTogether;
        try (HttpClient client = HttpClient.newHttpClient(); Server server = Server.start(2)) {
            HttpResponse<Stream<String>> streamed = client.send(server.post(LONG + ", \"stream\": true}"), HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, streamed.statusCode());
            Iterator<String> lines = streamed.body().iterator();
            StringBuilder reasoning = new StringBuilder();
            StringBuilder answer = new StringBuilder();
            // the first generated piece: the long request is decoding now
            while (reasoning.isEmpty() && answer.isEmpty()) {
                assertTrue(lines.hasNext(), "the stream ended before any text");
                delta(lines.next(), reasoning, answer);
            }
            JsonNode shortReply = server.reply(client, SHORT);
            assertEquals(8, shortReply.get("usage").get("completion_tokens").asInt(), shortReply.toString());
            shortTogether = replyText(shortReply);
            // the short one has all its 8 tokens and the long one (64) still generates: they shared the batches
            assertEquals(1, server.slotsBusy(client), "the long request was still generating: " + server.stderr());
            while (lines.hasNext()) {
                delta(lines.next(), reasoning, answer);
            }
            longTogether = reasoning + "|" + answer;
            assertTrue(longTogether.length() > 10, longTogether);
        }
        String longAlone;
        try (HttpClient client = HttpClient.newHttpClient(); Server server = Server.start(1)) {
            longAlone = replyText(server.reply(client, LONG));
        }
        String shortAlone;
        try (HttpClient client = HttpClient.newHttpClient(); Server server = Server.start(1)) {
            shortAlone = replyText(server.reply(client, SHORT));
        }
        System.err.println("[vulkan] serve, long request together " + (longTogether.equals(longAlone) ? "equals" : "differs from")
                + " alone: " + longTogether + " / " + longAlone);
        System.err.println("[vulkan] serve, short request together " + (shortTogether.equals(shortAlone) ? "equals" : "differs from")
                + " alone: " + shortTogether + " / " + shortAlone);
    }

    /** Appends one SSE line's delta (reasoning_content, content) of a chat completion chunk. */
    private static void delta(String line, StringBuilder reasoning, StringBuilder answer) throws IOException {
        if (!line.startsWith("data: {")) {
            return;
        }
        JsonNode choices = JSON.readTree(line.substring("data: ".length())).get("choices");
        if (choices == null || choices.isEmpty()) {
            return;
        }
        JsonNode delta = choices.get(0).get("delta");
        reasoning.append(text(delta.get("reasoning_content")));
        answer.append(text(delta.get("content")));
    }
}
