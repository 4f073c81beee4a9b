package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The official {@code openai} npm package, which no one here wrote, against the server: plain and streamed replies
 * with the reasoning apart, a JSON schema, and an error it understands. The package is installed once into
 * target/npm (from the npm registry); without node and npm the test is skipped, saying so.
 */
class OpenAiNodeClientTest {
    private static final String OPENAI_VERSION = "7.59.0";

    @Test
    void theOpenAiNpmPackageSeesReasoningAndContentApart() throws Exception {
        Assumptions.assumeTrue(onPath("node") && onPath("npm"), "node and npm are not installed; the openai npm client test is skipped");
        Path npm = Path.of(System.getProperty("jseek.test.work", "target/test-work")).getParent().resolve("npm");
        install(npm);
        try (TestServer s = TestServer.start(TestServer.settings("test-key", 2, 8, null), TestServer.HEARTBEAT_EVERY_TOKEN)) {
            Map<String, JsonNode> results = node(npm, s);
            String output = results.toString();
            JsonNode plain = results.get("plain");
            assertFalse(plain.path("reasoning").asText().isEmpty(), output);
            assertFalse(plain.path("content").asText().isEmpty(), output);
            assertEquals("length", plain.path("finish").asText());
            assertEquals(40, plain.path("usage").path("completion_tokens").asInt());
            JsonNode stream = results.get("stream");
            assertFalse(stream.path("reasoning").asText().isEmpty(), output);
            assertFalse(stream.path("content").asText().isEmpty(), output);
            assertEquals("length", stream.path("finish").asText());
            assertEquals(40, stream.path("usage").path("completion_tokens").asInt(), output);
            JsonNode schema = results.get("schema");
            assertTrue(List.of("yes", "no").contains(Json.MAPPER.readTree(schema.path("content").asText()).path("answer").asText()), output);
            JsonNode error = results.get("error");
            assertEquals(400, error.path("status").asInt(), output);
            assertEquals("invalid_value", error.path("code").asText(), output);
        }
    }

    @Test
    void theOpenAiNpmPackageGetsRequiredToolCallsPlainAndStreamed() throws Exception {
        Assumptions.assumeTrue(onPath("node") && onPath("npm"), "node and npm are not installed; the openai npm client test is skipped");
        Path npm = Path.of(System.getProperty("jseek.test.work", "target/test-work")).getParent().resolve("npm");
        install(npm);
        try (TestServer s = TestServer.start(TestServer.settings("test-key", 1, 8, TestServer.v32Template()), TestServer.HEARTBEAT_EVERY_TOKEN)) {
            Map<String, JsonNode> results = node(npm, s, "tools");
            JsonNode tool = results.get("tool");
            assertEquals("get_weather", tool.path("fn").asText(), tool.toString());
            assertEquals("function", tool.path("type").asText());
            assertFalse(tool.path("id").asText().isEmpty());
            assertEquals("get_weather", results.get("tool_stream").path("names").path(0).asText(), results.toString());
        }
    }

    private static Map<String, JsonNode> node(Path npm, TestServer s, String... args) throws Exception {
        Path script = Path.of(System.getProperty("jseek.test.root", "..")).resolve("cli/test/node/openai-client.mjs");
        List<String> command = new java.util.ArrayList<>(List.of("node", script.toAbsolutePath().toString(), s.server.url() + "/v1"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("NODE_PATH", npm.resolve("node_modules").toAbsolutePath().toString());
        Process p = pb.redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), output);
        Map<String, JsonNode> results = new HashMap<>();
        for (String line : output.lines().filter(l -> l.startsWith("{")).toList()) {
            JsonNode r = Json.MAPPER.readTree(line);
            results.put(r.path("name").asText(), r);
        }
        return results;
    }

    /** npm install openai into dir, once (a later run finds it there). */
    private static void install(Path dir) throws IOException, InterruptedException {
        if (Files.isDirectory(dir.resolve("node_modules/openai"))) {
            return;
        }
        Files.createDirectories(dir);
        Process p = new ProcessBuilder("npm", "install", "--no-audit", "--no-fund", "--prefix", dir.toAbsolutePath().toString(),
                "openai@" + OPENAI_VERSION).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "npm install did not end");
        Assumptions.assumeTrue(p.exitValue() == 0, "npm install openai failed (no registry?), so the test is skipped:\n" + output);
    }

    private static boolean onPath(String command) {
        String path = System.getenv("PATH");
        return path != null && java.util.Arrays.stream(path.split(java.io.File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, command)));
    }
}
