package dev.jseek.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jseek.Backend;
import dev.jseek.ContextParams;
import dev.jseek.Model;
import dev.jseek.SpeedBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * `jseek bench`: llama-bench's tests, parameters and output columns, measured through jseek, so the numbers
 * compare one to one with `llama-bench` on the same model and build.
 */
@Command(name = "bench", description = "Measure prompt-processing (pp) and generation (tg) speed like llama-bench.")
final class BenchmarkCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", split = ",", defaultValue = "512",
            description = "prompt tokens per pp test, comma-separated; 0 = none (default: ${DEFAULT-VALUE})")
    List<Integer> prompts;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", split = ",", defaultValue = "128",
            description = "generated tokens per tg test, comma-separated; 0 = none (default: ${DEFAULT-VALUE})")
    List<Integer> generations;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", defaultValue = "5", description = "repetitions of each test (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "2048", description = "logical batch size (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = {"-ub", "--ubatch-size"}, paramLabel = "N", defaultValue = "512", description = "physical batch size (default: ${DEFAULT-VALUE})")
    int microBatch;

    @Option(names = {"-fa", "--flash-attn"}, paramLabel = "on|off|auto", split = ",", defaultValue = "auto",
            description = "flash attention, comma-separated to compare (llama-bench's values: on|1, off|0, auto|-1) (default: ${DEFAULT-VALUE})")
    List<String> flashAttention;

    @Option(names = {"-ctk", "--cache-type-k"}, paramLabel = "TYPE", split = ",", defaultValue = "f16",
            description = "KV cache type for K, comma-separated to compare: f16, bf16, q8_0, q4_0, q4_1, iq4_nl, q5_0, q5_1 "
                    + "(llama-bench's), f32 (default: ${DEFAULT-VALUE})")
    List<String> cacheTypesK;

    @Option(names = {"-ctv", "--cache-type-v"}, paramLabel = "TYPE", split = ",", defaultValue = "f16",
            description = "KV cache type for V, comma-separated to compare; a quantized one needs flash attention (default: ${DEFAULT-VALUE})")
    List<String> cacheTypesV;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "md", description = "md, json or csv (default: ${DEFAULT-VALUE})")
    String format;

    @Override
    public Integer call() {
        if (!List.of("md", "json", "csv").contains(format)) {
            throw new IllegalArgumentException("--output must be md, json or csv, not '" + format + "'");
        }
        int threads = modelOptions.threads != null ? modelOptions.threads : Runtime.getRuntime().availableProcessors();
        // llama-bench's order: every K type, within it every V type, within that every flash-attention setting
        List<SpeedBenchmark.Params> settings = new ArrayList<>();
        for (String k : cacheTypesK) {
            for (String v : cacheTypesV) {
                for (String fa : flashAttention) {
                    SpeedBenchmark.Params p = new SpeedBenchmark.Params(batch, microBatch, threads, repetitions,
                            ContextParams.FlashAttention.parse(fa), ContextParams.CacheType.parse(k), ContextParams.CacheType.parse(v));
                    // checked before the model loads: a quantized V cache needs flash attention (ContextParams says so)
                    new ContextParams(1, batch, microBatch, 1, threads, threads, p.flashAttention(), p.cacheTypeK(), p.cacheTypeV());
                    settings.add(p);
                }
            }
        }
        List<SpeedBenchmark.Test> tests = new ArrayList<>();
        prompts.stream().filter(p -> p > 0).forEach(p -> tests.add(new SpeedBenchmark.Test(p, 0)));
        generations.stream().filter(n -> n > 0).forEach(n -> tests.add(new SpeedBenchmark.Test(0, n)));
        if (tests.isEmpty() || prompts.stream().anyMatch(p -> p < 0) || generations.stream().anyMatch(n -> n < 0)) {
            throw new IllegalArgumentException("give at least one positive -p or -n, and no negative ones");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Map<String, Object>> rows = new ArrayList<>();
        List<String> shown = shownColumns();
        try (Model model = modelOptions.load(err)) {
            String backends = backends();
            if (format.equals("md")) {
                out.println("| model                          |       size |     params | backend    | threads |"
                        + shown.stream().map(c -> String.format(Locale.ROOT, " %" + width(c) + "s |", c)).collect(Collectors.joining())
                        + "            test |                  t/s |");
                out.println("| ------------------------------ | ---------: | ---------: | ---------- | ------: |"
                        + shown.stream().map(c -> " " + "-".repeat(width(c) - 1) + ": |").collect(Collectors.joining())
                        + " --------------: | -------------------: |");
            }
            for (SpeedBenchmark.Params params : settings) {
                for (SpeedBenchmark.Test test : tests) {
                    err.println("jseek bench: " + test.name() + ", " + repetitions + " repetitions" + (settings.size() > 1
                            ? ", K " + params.cacheTypeK().label() + ", V " + params.cacheTypeV().label() + ", flash attention "
                            + params.flashAttention().name().toLowerCase(Locale.ROOT) : ""));
                    SpeedBenchmark.Result r = SpeedBenchmark.run(model, test, params);
                    Map<String, Object> row = fields(model, r, backends);
                    rows.add(row);
                    if (format.equals("md")) {
                        out.println(markdown(model, r, backends, shown));
                        out.flush();
                    }
                }
            }
        }
        switch (format) {
            case "json" -> out.println(json(rows));
            case "csv" -> {
                out.println(String.join(",", CSV_FIELDS));
                rows.forEach(row -> out.println(CSV_FIELDS.stream().map(f -> "\"" + row.get(f) + "\"").collect(Collectors.joining(","))));
            }
            default -> out.println();
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** llama-bench's field names for the values jseek measures (its build and CPU fields are left out). */
    private static final List<String> CSV_FIELDS = List.of("backends", "model_filename", "model_type", "model_size",
            "model_n_params", "n_batch", "n_ubatch", "n_threads", "type_k", "type_v", "n_gpu_layers", "flash_attn", "n_prompt",
            "n_gen", "n_depth", "test_time", "avg_ns", "stddev_ns", "avg_ts", "stddev_ts");

    /**
     * The Markdown columns llama-bench adds, as it does: type_k, type_v and fa when more than one value or another
     * than its default (f16, f16, auto) is asked for.
     */
    private List<String> shownColumns() {
        List<String> shown = new ArrayList<>();
        if (cacheTypesK.size() > 1 || !cacheTypesK.getFirst().equalsIgnoreCase("f16")) {
            shown.add("type_k");
        }
        if (cacheTypesV.size() > 1 || !cacheTypesV.getFirst().equalsIgnoreCase("f16")) {
            shown.add("type_v");
        }
        if (flashAttention.size() > 1 || ContextParams.FlashAttention.parse(flashAttention.getFirst()) != ContextParams.FlashAttention.AUTO) {
            shown.add("fa");
        }
        return shown;
    }

    /** llama-bench's widths for those columns (right-aligned). */
    private static int width(String column) {
        return column.equals("fa") ? 3 : 6;
    }

    private static String cell(String column, SpeedBenchmark.Params p) {
        return switch (column) {
            case "type_k" -> p.cacheTypeK().label();
            case "type_v" -> p.cacheTypeV().label();
            default -> String.valueOf(p.flashAttention().llamaValue());
        };
    }

    /**
     * llama-bench's "backends": the build's backends other than CPU (CUDA, Metal, BLAS …), then RPC when the model is
     * spread over RPC workers; "CPU" when there is none of these. Like llama-bench it names what the build offers
     * (with -ngl 0 a CUDA build still says CUDA: n_gpu_layers tells how much ran there).
     */
    private String backends() {
        List<String> names = new ArrayList<>(Backend.get().backendNames().stream()
                .filter(n -> !n.equals("CPU") && !n.startsWith("RPC")).toList());
        if (!modelOptions.rpcServers.isEmpty()) {
            names.add("RPC");
        }
        return names.isEmpty() ? "CPU" : String.join(",", names);
    }

    private Map<String, Object> fields(Model model, SpeedBenchmark.Result r, String backends) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("backends", backends);
        f.put("model_filename", model.path().toString());
        f.put("model_type", model.description());
        f.put("model_size", model.sizeBytes());
        f.put("model_n_params", model.parameterCount());
        f.put("n_batch", batch);
        f.put("n_ubatch", microBatch);
        f.put("n_threads", r.params().threads());
        f.put("type_k", r.params().cacheTypeK().label());
        f.put("type_v", r.params().cacheTypeV().label());
        f.put("n_gpu_layers", modelOptions.gpuLayers);
        f.put("flash_attn", r.params().flashAttention().llamaValue());
        f.put("n_prompt", r.test().prompt());
        f.put("n_gen", r.test().generate());
        f.put("n_depth", 0);
        f.put("test_time", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        f.put("avg_ns", r.avgNs());
        f.put("stddev_ns", r.stddevNs());
        f.put("avg_ts", r.avgTs());
        f.put("stddev_ts", r.stddevTs());
        f.put("samples_ns", r.samplesNs());
        f.put("samples_ts", r.samplesTs());
        return f;
    }

    private static String json(List<Map<String, Object>> rows) {
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode array = mapper.createArrayNode();
        rows.forEach(row -> array.add(mapper.valueToTree(row)));
        return array.toPrettyString();
    }

    private static String markdown(Model model, SpeedBenchmark.Result r, String backends, List<String> shown) {
        long size = model.sizeBytes();
        String sizeText = size >= 1L << 30 ? String.format(Locale.ROOT, "%.2f GiB", size / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.2f MiB", size / (double) (1L << 20));
        long params = model.parameterCount();
        String paramsText = params >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2f B", params / 1e9)
                : String.format(Locale.ROOT, "%.2f M", params / 1e6);
        return String.format(Locale.ROOT, "| %-30s | %10s | %10s | %-10s | %7d |", model.description(), sizeText, paramsText, backends,
                r.params().threads())
                + shown.stream().map(c -> String.format(Locale.ROOT, " %" + width(c) + "s |", cell(c, r.params()))).collect(Collectors.joining())
                + String.format(Locale.ROOT, " %15s | %20s |", r.test().name(), String.format(Locale.ROOT, "%.2f ± %.2f", r.avgTs(), r.stddevTs()));
    }
}
