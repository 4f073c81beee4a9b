package dev.jseek.chat;

import dev.jseek.Backend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * llama-server from jseek's own llama.cpp build (native/build.sh --reference-server), serving one chat template:
 * the oracle of the chat-template tests. One instance is one server process; close() stops it.
 */
final class LlamaServer implements AutoCloseable {
    /** Generous: a loaded 2-core machine takes a few seconds; a healthy server is never near this. */
    private static final Duration START_BOUND = Duration.ofMinutes(2);
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1) // cpp-httplib speaks HTTP/1.1 only
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final URI base;

    /** llama-server exited before it was healthy; {@code error} is what it logged as errors. */
    static final class RefusedToStart extends Exception {
        RefusedToStart(String error) {
            super(error);
        }
    }

    /** POST /apply-template's answer: the prompt, or llama.cpp's error message (exactly one is non-null). */
    record Reply(String prompt, String error) {
    }

    private LlamaServer(Process process, URI base) {
        this.process = process;
        this.base = base;
    }

    /**
     * Starts llama-server on {@code model} with {@code templateFile} as its Jinja template and waits until
     * {@code GET /health} answers 200. Its output goes to {@code log}.
     */
    static LlamaServer start(Path model, Path templateFile, Path log) throws IOException, InterruptedException, RefusedToStart {
        Files.createDirectories(log.getParent());
        int port = freePort();
        Process process = new ProcessBuilder(Backend.get().libraryDir().resolve("llama-server").toString(),
                "-m", model.toString(), "--jinja", "--chat-template-file", templateFile.toString(),
                "--host", "127.0.0.1", "--port", String.valueOf(port), "-c", "1024", "-np", "1",
                // only the start-up time changes: no web UI, no memory fitting, no warm-up decode, one thread
                "--no-webui", "-fit", "off", "--no-warmup", "-t", "1")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        LlamaServer server = new LlamaServer(process, URI.create("http://127.0.0.1:" + port));
        try {
            server.awaitHealthy(log);
            return server;
        } catch (IOException | InterruptedException | RefusedToStart | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private void awaitHealthy(Path log) throws IOException, InterruptedException, RefusedToStart {
        long deadline = System.nanoTime() + START_BOUND.toNanos();
        HttpRequest health = HttpRequest.newBuilder(base.resolve("/health")).timeout(Duration.ofSeconds(10)).GET().build();
        IOException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new RefusedToStart(errors(log));
            }
            try {
                if (HTTP.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notListeningYet) { // 503 while loading; before that, nothing listens
                last = notListeningYet;
            }
            process.waitFor(50, TimeUnit.MILLISECONDS); // the poll interval, cut short if the server exits
        }
        throw new IllegalStateException("llama-server was not healthy after " + START_BOUND + "; see " + log, last);
    }

    /** The lines llama.cpp logged as errors ("E ..." and the final "error: ..."), else the log's tail. */
    private static String errors(Path log) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        String errors = lines.stream()
                .filter(l -> l.matches("^[0-9.]+ E .*") || l.startsWith("error:"))
                .collect(Collectors.joining("\n"));
        return errors.isEmpty() ? String.join("\n", lines.subList(Math.max(0, lines.size() - 10), lines.size())) : errors;
    }

    /** POST /apply-template with {@code requestJson} as the body, sent as is. */
    Reply applyTemplate(String requestJson) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/apply-template"))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(requestJson, StandardCharsets.UTF_8))
                .build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        JsonNode body = JSON.readTree(response.body());
        if (response.statusCode() == 200) {
            JsonNode prompt = body.path("prompt");
            if (!prompt.isTextual()) {
                throw new IllegalStateException("llama-server answered 200 without a prompt: " + response.body());
            }
            return new Reply(prompt.asText(), null);
        }
        JsonNode message = body.path("error").path("message");
        if (!message.isTextual()) {
            throw new IllegalStateException("llama-server answered " + response.statusCode() + " without an error message: " + response.body());
        }
        return new Reply(null, message.asText());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
