package dev.jseek.cli;

import dev.jseek.TestModels;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `jseek serve` as a command: its checks before anything loads, and a real process that serves and stops on SIGTERM. */
class ServeCommandTest {

    @Test
    void refusesToBindBeyondLoopbackWithoutAnApiKey() {
        Outcome r = jseek("serve", "--host", "0.0.0.0", "-m", "/no/such/model.gguf");
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains("--api-key"), r.err());
    }

    @Test
    void checksItsValuesBeforeLoadingTheModel() {
        Outcome r = jseek("serve", "--max-body", "lots", "-m", "/no/such/model.gguf");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--max-body"), r.err());
        r = jseek("serve", "--parallel", "0", "-m", "/no/such/model.gguf");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--parallel"), r.err());
    }

    /** A step decodes a token of every slot in one batch: more slots than the batch holds would overflow it mid-serve. */
    @Test
    void refusesMoreSlotsThanTheBatchHolds() {
        Outcome r = jseek("serve", "--parallel", "16", "--batch-size", "8", "-m", "/no/such/model.gguf");
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
        assertTrue(r.err().contains("--parallel 16 is more than --batch-size 8") && r.err().contains("--batch-size 16 or more"), r.err());
        r = jseek("serve", "--parallel", "600", "-m", "/no/such/model.gguf");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--batch-size 512"), "the default batch: " + r.err());
    }

    @Test
    void sizesTakeBinaryUnits() {
        assertEquals(8L << 20, ServeCommand.bytes("8MiB"));
        assertEquals(512L << 10, ServeCommand.bytes("512k"));
        assertEquals(1000, ServeCommand.bytes("1000"));
    }

    @Test
    void servesOnAnyFreePortAndStopsOnSigterm() throws Exception {
        Path model = TestModels.tiny();
        Process p = new ProcessBuilder(Subprocess.command(List.of("serve", "--port", "0", "-m", model.toString())))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        // stderr read on a thread of its own to the end; the URL is handed over as soon as it is printed
        StringBuffer stderr = new StringBuffer();
        CompletableFuture<String> url = new CompletableFuture<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            Matcher m = Pattern.compile("^jseek serve: listening on (http://\\S+)").matcher("");
            try (BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = err.readLine()) != null; ) {
                    stderr.append(line).append('\n');
                    if (m.reset(line).find()) {
                        url.complete(m.group(1));
                    }
                }
            } catch (IOException e) {
                // the JDK closes the pipe under a read when the process ends
            }
            url.complete(null);
        });
        try (HttpClient client = HttpClient.newHttpClient()) {
            String base = url.get(2, TimeUnit.MINUTES);
            assertNotNull(base, "no 'listening on' line: " + stderr);
            HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode());
            HttpResponse<String> chat = client.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"max_tokens\": 3}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, chat.statusCode(), chat.body());
            p.destroy(); // SIGTERM
            assertTrue(p.waitFor(1, TimeUnit.MINUTES), "jseek serve did not stop on SIGTERM");
            // 143: the JVM's SIGTERM path, which runs the shutdown hook (its "stopping" line is often lost here: the
            // JDK closes the pipe under the reading thread when the process ends)
            assertEquals(143, p.exitValue(), stderr.toString());
            reader.join();
        } finally {
            p.destroyForcibly();
        }
    }
}
