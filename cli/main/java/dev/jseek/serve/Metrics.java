package dev.jseek.serve;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The counters behind {@code GET /metrics}, in Prometheus' text format. */
final class Metrics {
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder cachedTokens = new LongAdder();
    private final LongAdder completionTokens = new LongAdder();
    private final LongAdder generationNanos = new LongAdder();
    private final LongAdder cancelled = new LongAdder();

    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder()).increment();
    }

    /** A finished turn; {@code cached} of its prompt tokens came from a sequence's KV cache. */
    void turn(int prompt, int cached, int completion, long nanos) {
        promptTokens.add(prompt);
        cachedTokens.add(cached);
        completionTokens.add(completion);
        generationNanos.add(nanos);
    }

    void cancelled() {
        cancelled.increment();
    }

    /**
     * @param kvTokens    tokens each sequence's KV cache holds now
     * @param kvCapacity  tokens one sequence holds
     */
    String render(int slotsBusy, int queueDepth, int[] kvTokens, int kvCapacity) {
        StringBuilder out = new StringBuilder();
        out.append("# HELP jseek_requests_total HTTP requests answered, by endpoint and status.\n");
        out.append("# TYPE jseek_requests_total counter\n");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String[] key = e.getKey().split("\u0000");
            out.append("jseek_requests_total{endpoint=\"").append(key[0]).append("\",status=\"").append(key[1]).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        });
        counter(out, "jseek_prompt_tokens_total", "Prompt tokens of finished turns (cached ones included).", promptTokens.sum());
        counter(out, "jseek_prompt_tokens_cached_total", "Of those, tokens reused from a slot's KV cache (not decoded again).",
                cachedTokens.sum());
        counter(out, "jseek_completion_tokens_total", "Tokens generated, reasoning included.", completionTokens.sum());
        counter(out, "jseek_cancelled_total", "Generations cancelled (client gone or shutdown).", cancelled.sum());
        double seconds = generationNanos.sum() / 1e9;
        gauge(out, "jseek_generation_tokens_per_second", "Tokens generated per second of generation, over all turns so far.",
                String.format(Locale.ROOT, "%.3f", seconds == 0 ? 0 : completionTokens.sum() / seconds));
        gauge(out, "jseek_slots_busy", "Slots (sequences of the shared context) generating now.", Integer.toString(slotsBusy));
        gauge(out, "jseek_slots_total", "Slots (--parallel).", Integer.toString(kvTokens.length));
        gauge(out, "jseek_queue_depth", "Requests waiting for a slot (or for the completions context).", Integer.toString(queueDepth));
        out.append("# HELP jseek_kv_tokens Tokens a slot's KV cache holds now (kept after a request for the next to reuse).\n");
        out.append("# TYPE jseek_kv_tokens gauge\n");
        for (int s = 0; s < kvTokens.length; s++) {
            out.append("jseek_kv_tokens{slot=\"").append(s).append("\"} ").append(kvTokens[s]).append('\n');
        }
        out.append("# HELP jseek_kv_capacity_tokens Tokens a slot holds (--ctx-size).\n");
        out.append("# TYPE jseek_kv_capacity_tokens gauge\n");
        for (int s = 0; s < kvTokens.length; s++) {
            out.append("jseek_kv_capacity_tokens{slot=\"").append(s).append("\"} ").append(kvCapacity).append('\n');
        }
        return out.toString();
    }

    private static void counter(StringBuilder out, String name, String help, long value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" counter\n");
        out.append(name).append(' ').append(value).append('\n');
    }

    private static void gauge(StringBuilder out, String name, String help, String value) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(" gauge\n");
        out.append(name).append(' ').append(value).append('\n');
    }
}
