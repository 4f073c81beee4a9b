import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load on an OpenAI-compatible server (jseek serve or llama-server): CLIENTS concurrent streaming chat clients,
 * each sending requests back to back for SECONDS; a request started before the end runs to its end. Counts
 * requests, errors (a status other than 200, or a stream without [DONE]), generated tokens (from the usage
 * chunk) and prints one summary line as JSON on stdout.
 *   java bench/ServeLoad.java BASE_URL CLIENTS SECONDS MAX_TOKENS
 */
public class ServeLoad {
    private static final Pattern COMPLETION_TOKENS = Pattern.compile("\"completion_tokens\"\\s*:\\s*(\\d+)");

    public static void main(String[] args) throws Exception {
        String base = args[0];
        int clients = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        int maxTokens = Integer.parseInt(args[3]);
        AtomicLong requests = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        AtomicLong tokens = new AtomicLong();
        List<String> firstErrors = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + Duration.ofSeconds(seconds).toNanos();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
             var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                running.add(threads.submit(() -> {
                    for (int i = 0; System.nanoTime() < end; i++) {
                        String body = "{\"model\": \"m\", \"max_tokens\": " + maxTokens + ", \"stream\": true, "
                                + "\"stream_options\": {\"include_usage\": true}, \"messages\": [{\"role\": \"user\", "
                                + "\"content\": \"Client " + client + ", question " + i + ": why is the sea salty?\"}]}";
                        requests.incrementAndGet();
                        try {
                            HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
                                    .timeout(Duration.ofMinutes(5)).header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofLines());
                            boolean done = false;
                            long used = 0;
                            for (String line : (Iterable<String>) r.body()::iterator) {
                                if (line.equals("data: [DONE]")) {
                                    done = true;
                                }
                                Matcher m = COMPLETION_TOKENS.matcher(line);
                                if (m.find()) {
                                    used = Long.parseLong(m.group(1));
                                }
                            }
                            if (r.statusCode() != 200 || !done) {
                                fail(errors, firstErrors, "status " + r.statusCode() + (done ? "" : ", no [DONE]"));
                            } else {
                                tokens.addAndGet(used);
                            }
                        } catch (Exception e) {
                            fail(errors, firstErrors, e.toString());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "{\"clients\": %d, \"seconds\": %.1f, \"requests\": %d, \"errors\": %d, \"tokens\": %d, "
                        + "\"tokens_per_second\": %.1f, \"first_errors\": \"%s\"}%n", clients, elapsed, requests.get(), errors.get(),
                tokens.get(), tokens.get() / elapsed, String.join("; ", firstErrors).replace("\"", "'"));
    }

    private static void fail(AtomicLong errors, List<String> first, String what) {
        errors.incrementAndGet();
        synchronized (first) {
            if (first.size() < 3) {
                first.add(what);
            }
        }
    }
}
