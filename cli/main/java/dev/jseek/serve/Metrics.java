package dev.jseek.serve;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The counters behind {@code GET /metrics}, in Prometheus' text format. */
final class Metrics {
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder completionTokens = new LongAdder();
    private final LongAdder generationNanos = new LongAdder();
    private final LongAdder cancelled = new LongAdder();

    void request(String endpoint, int status) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder()).increment();
    }

    void turn(int prompt, int completion, long nanos) {
        promptTokens.add(prompt);
        completionTokens.add(completion);
        generationNanos.add(nanos);
    }

    void cancelled() {
        cancelled.increment();
    }

    String render(int slotsBusy, int slotsTotal, int queueDepth, java.util.List<Slot> slots) {
        StringBuilder out = new StringBuilder();
        out.append("# HELP jseek_requests_total HTTP requests answered, by endpoint and status.\n");
        out.append("# TYPE jseek_requests_total counter\n");
        requests.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            String[] key = e.getKey().split("\u0000");
            out.append("jseek_requests_total{endpoint=\"").append(key[0]).append("\",status=\"").append(key[1]).append("\"} ")
                    .append(e.getValue().sum()).append('\n');
        });
        counter(out, "jseek_prompt_tokens_total", "Prompt tokens of finished turns (cached ones included).", promptTokens.sum());
        counter(out, "jseek_completion_tokens_total", "Tokens generated, reasoning included.", completionTokens.sum());
        counter(out, "jseek_cancelled_total", "Generations cancelled (client gone or shutdown).", cancelled.sum());
        double seconds = generationNanos.sum() / 1e9;
        gauge(out, "jseek_generation_tokens_per_second", "Tokens generated per second of generation, over all turns so far.",
                String.format(Locale.ROOT, "%.3f", seconds == 0 ? 0 : completionTokens.sum() / seconds));
        gauge(out, "jseek_slots_busy", "Slots generating now.", Integer.toString(slotsBusy));
        gauge(out, "jseek_slots_total", "Slots (--parallel).", Integer.toString(slotsTotal));
        gauge(out, "jseek_queue_depth", "Requests waiting for a slot.", Integer.toString(queueDepth));
        out.append("# HELP jseek_kv_tokens Tokens a slot's KV cache held after its last turn.\n");
        out.append("# TYPE jseek_kv_tokens gauge\n");
        slots.forEach(s -> out.append("jseek_kv_tokens{slot=\"").append(s.index).append("\"} ").append(s.kvTokens).append('\n'));
        out.append("# HELP jseek_kv_capacity_tokens Tokens a slot's context holds (--ctx-size).\n");
        out.append("# TYPE jseek_kv_capacity_tokens gauge\n");
        slots.forEach(s -> out.append("jseek_kv_capacity_tokens{slot=\"").append(s.index).append("\"} ")
                .append(s.session.contextSize()).append('\n'));
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
