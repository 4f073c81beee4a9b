package dev.jseek.serve;

import dev.jseek.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import dev.jseek.chat.LlamaSource;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatOptions;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

/** A server on the tiny demo model (greedy, short replies) on a free loopback port, and a client for it. */
final class TestServer implements AutoCloseable {
    final Model model;
    final OpenAiServer server;
    final HttpClient client = HttpClient.newHttpClient();

    private TestServer(Model model, OpenAiServer server) {
        this.model = model;
        this.server = server;
    }

    static Path modelPath() {
        return TestModels.tiny();
    }

    /** Greedy, 40 tokens per reply of which at most 8 reasoning: the tiny model never closes its reasoning itself. */
    static ChatOptions options() {
        return ChatOptions.defaults().withSampling(SamplerParams.greedy()).withMaxTokens(40).withReasoningBudget(8);
    }

    static ServeSettings settings(String apiKey, int parallel, int queue, String templateSource) {
        return new ServeSettings("127.0.0.1", 0, apiKey, parallel, queue, 64 * 1024, null, "tiny", options(), templateSource,
                templateSource == null ? null : "the V3.2 template", Duration.ofSeconds(10));
    }

    /**
     * Hooks that make every non-streaming reply a {@link Heartbeat} body (the 200 at once, then a space per token
     * before the JSON), so that the clients' tests see such bodies parse.
     */
    static final ServeHooks HEARTBEAT_EVERY_TOKEN = new ServeHooks() {
        @Override
        public Duration heartbeat() {
            return Duration.ZERO;
        }
    };

    static TestServer start(ServeSettings settings, ServeHooks hooks) throws IOException {
        Model model = Model.load(modelPath(), ModelParams.defaults());
        try {
            return new TestServer(model, OpenAiServer.start(model, settings, hooks));
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /** DeepSeek-V3.2's template from the pinned llama.cpp source the native build was made from. */
    static String v32Template() {
        return LlamaSource.read("models/templates/deepseek-ai-DeepSeek-V3.2.jinja");
    }

    HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofMinutes(2));
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return client.send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) throws IOException {
        return Json.MAPPER.readTree(response.body());
    }

    @Override
    public void close() {
        client.close();
        if (server.shutdown()) {
            model.close();
        }
    }
}
