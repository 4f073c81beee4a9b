import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.chat.ChatEngine;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTurn;
import dev.jseek.chat.ReplyOptions;
import dev.jseek.ContextParams;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplerParams;
import dev.jseek.SpeedBenchmark;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufTensorInfo;
import dev.jseek.models.TinyDeepSeek;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

/**
 * jseek's benchmark suite: every comparison runs both sides in this one invocation, interleaved, with the same
 * model file, thread count and library build, and writes a Markdown report with the raw numbers.
 *
 * <p>Run by {@code bench/run} (full: the tiny model and the V2-Lite-shaped model, 5 repetitions) or with
 * {@code --quick} (the tiny model, 2 repetitions, small sizes: the smoke test in the default test run). It needs
 * {@code -Djseek.native.dir} (a native/build.sh cache entry, which also holds llama-bench and llama-simple) and
 * jseek's classes on the class path; it starts jseek's CLI as {@code java … dev.jseek.cli.Main}.
 */
public final class BenchSuite {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Process pairs on the tiny model, whose 0.6 ms token is small next to this shared machine's drift. */
    private static final int TINY_REPS = 21;
    /** Alternating pairs in the same-process comparisons, and llama-bench repetitions (-r) within each. */
    private static final int SAME_PROCESS_PAIRS = 30;
    private static final int REPS_PER_PAIR = 10;

    private final boolean quick;
    private int reps;
    private final int baseReps;
    private final int threads;
    private final int gpuLayers;
    /** llama-bench's -fa, -ctk and -ctv, given to both sides of every speed comparison; empty: their defaults. */
    private final List<String> kvArgs;
    private final Path nativeDir;
    private final Path workDir;
    private final StringBuilder report = new StringBuilder();

    BenchSuite(boolean quick, int threads, int gpuLayers, List<String> kvArgs, Path nativeDir, Path workDir) {
        this.quick = quick;
        this.reps = quick ? 2 : 5;
        this.baseReps = reps;
        this.threads = threads;
        this.gpuLayers = gpuLayers;
        this.kvArgs = List.copyOf(kvArgs);
        this.nativeDir = nativeDir;
        this.workDir = workDir;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path out = Path.of("bench/RESULTS.md");
        Path work = Path.of(System.getProperty("user.home"), ".cache", "jseek", "bench");
        int threads = Runtime.getRuntime().availableProcessors();
        int gpuLayers = 0;
        List<String> kvArgs = new ArrayList<>();
        List<String> models = new ArrayList<>(List.of("tiny", "v2-lite"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> {
                    quick = true;
                    models = List.of("tiny");
                }
                case "--out" -> out = Path.of(args[++i]);
                case "--work" -> work = Path.of(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "-ngl", "--gpu-layers" -> gpuLayers = Integer.parseInt(args[++i]);
                case "-fa", "-ctk", "-ctv" -> {
                    if (args[i + 1].contains(",")) {
                        throw new IllegalArgumentException(args[i] + " takes one value here, not a list: '" + args[i + 1] + "'");
                    }
                    kvArgs.addAll(List.of(args[i], args[++i]));
                }
                case "--models" -> models = List.of(args[++i].split(","));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (use --quick, --out FILE, --work DIR, --threads N, -ngl N, -fa on|off|auto, -ctk TYPE, -ctv TYPE, --models tiny,v2-lite)");
            }
        }
        String nativeDir = System.getProperty("jseek.native.dir");
        if (nativeDir == null) {
            throw new IllegalStateException("set -Djseek.native.dir to a native/build.sh cache entry (bench/run does)");
        }
        Files.createDirectories(work);
        var suite = new BenchSuite(quick, threads, gpuLayers, kvArgs, Path.of(nativeDir), work);
        suite.run(models);
        Files.writeString(out, suite.report.toString());
        System.err.println("bench: wrote " + out);
    }

    void run(List<String> models) throws Exception {
        header(models);
        Path tiny = tinyModel();
        for (String name : models) {
            Path model = name.equals("tiny") ? tiny : v2LiteModel();
            // a tiny-model token takes 0.6 ms, so this shared 2-core machine's noise is large next to it: more
            // repetitions there (they are cheap); 5 on the big model
            reps = name.equals("tiny") && !quick ? TINY_REPS : baseReps;
            section("Model: " + name + " (" + model.getFileName() + ", " + gib(Files.size(model)) + ")");
            double promptRate = againstLlamaBench(model);
            if (name.equals("tiny")) {
                sameProcess(model);
            }
            if (name.equals("v2-lite")) {
                againstBandwidth(model);
            }
            manyPrompts(model, promptRate);
            chatTurns(model);
            if (name.equals("v2-lite") || quick) {
                peakMemory(model);
            }
        }
        reps = baseReps;
        startUp(tiny);
        preflight(models.contains("v2-lite") ? List.of(tiny, v2LiteModel()) : List.of(tiny));
    }

    // ---- models ----

    private Path tinyModel() throws IOException {
        Path model = workDir.resolve("tiny-deepseek.gguf");
        if (!Files.exists(model)) {
            TinyDeepSeek.write(vocab(), model, TinyDeepSeek.Config.defaults());
        }
        return model;
    }

    private Path v2LiteModel() throws Exception {
        Path quantized = workDir.resolve("v2-lite-shape-q4_k_m.gguf");
        if (Files.exists(quantized)) {
            return quantized;
        }
        Path f16 = workDir.resolve("v2-lite-shape-f16.gguf");
        if (!Files.exists(f16)) {
            progress("generating the V2-Lite-shaped model (31 GB of F16) into " + f16);
            TinyDeepSeek.write(vocab(), f16, TinyDeepSeek.Config.v2LiteShape(), BenchSuite::progress);
        }
        progress("quantizing it to Q4_K_M with jseek quantize (several minutes)");
        Proc q = Proc.run(jseek("quantize", f16.toString(), quantized.toString(), "--type", "Q4_K_M"));
        q.requireOk("jseek quantize");
        Files.delete(f16); // the F16 intermediate is 31 GB
        return quantized;
    }

    private Path vocab() {
        return nativeDir.resolve("vocab").resolve("ggml-vocab-deepseek-llm.gguf");
    }

    // ---- 1. jseek bench vs llama-bench ----

    /** Returns jseek's median prompt-processing rate: the ceiling that the many-prompts section compares with. */
    private double againstLlamaBench(Path model) throws Exception {
        int pp = quick ? 64 : 512;
        int tg = quick ? 16 : 128;
        subsection("jseek bench vs llama-bench (pp" + pp + ", tg" + tg + ", " + threads + " threads, " + reps
                + " interleaved repetitions; t/s)");
        table("test", "jseek median", "jseek min–max", "llama-bench median", "llama-bench min–max", "ratio of medians",
                "paired ratio: median (IQR)", "raw jseek", "raw llama-bench");
        double promptRate = 0;
        for (SpeedBenchmark.Test test : List.of(new SpeedBenchmark.Test(pp, 0), new SpeedBenchmark.Test(0, tg))) {
            List<String> args = benchArgs(model, test, 1);
            double[][] samples = interleaved(() -> benchTs(jseekBench(args)), () -> benchTs(llamaBench(args)));
            if (test.prompt() > 0) {
                promptRate = median(samples[0]);
            }
            row(test.name(), fmt(median(samples[0])), range(samples[0]), fmt(median(samples[1])), range(samples[1]),
                    String.format(Locale.ROOT, "%.3f", median(samples[0]) / median(samples[1])), pairedRatio(samples),
                    raw(samples[0]), raw(samples[1]));
        }
        text("Each repetition is a fresh process on each side (one measured run after llama-bench's warm-up; jseek "
                + "warms up for a second). The paired ratio divides the two runs of one repetition, taken seconds apart, "
                + "so it is less exposed than the medians to the machine's drift.");
        String kv = kvArgs.isEmpty() ? "" : " " + String.join(" ", kvArgs);
        command("jseek bench -m " + model.getFileName() + " -p " + pp + " -n 0 -r 1 -t " + threads + kv + " -o json   (and -p 0 -n " + tg + ")",
                "llama-bench -m " + model.getFileName() + " -p " + pp + " -n 0 -r 1 -t " + threads + kv + " -o json   (and -p 0 -n " + tg + ")");
        return promptRate;
    }

    private double benchTs(List<String> command) {
        Proc p = Proc.run(command);
        p.requireOk(command.getFirst());
        try {
            JsonNode rows = JSON.readTree(p.stdout());
            return rows.get(0).get("avg_ts").asDouble();
        } catch (IOException e) {
            throw new IllegalStateException("unreadable JSON from " + command + ": " + p.stdout(), e);
        }
    }

    /** Runs a and b alternately, {@code reps} times each, swapping which goes first every repetition. */
    private double[][] interleaved(Supplier<Double> a, Supplier<Double> b) {
        return interleaved(reps, a, b);
    }

    private static double[][] interleaved(int count, Supplier<Double> a, Supplier<Double> b) {
        double[][] samples = new double[2][count];
        for (int i = 0; i < count; i++) {
            if (i % 2 == 0) {
                samples[0][i] = a.get();
                samples[1][i] = b.get();
            } else {
                samples[1][i] = b.get();
                samples[0][i] = a.get();
            }
            progress("  repetition " + (i + 1) + "/" + count + ": " + fmt(samples[0][i]) + " vs " + fmt(samples[1][i]));
        }
        return samples;
    }

    // ---- 1b. the same comparison inside one process, and what the JVM around it costs ----

    private void sameProcess(Path model) throws Exception {
        int pairs = quick ? 2 : SAME_PROCESS_PAIRS;
        int repsPerPair = quick ? 2 : REPS_PER_PAIR;
        int pp = quick ? 64 : 512;
        int tg = quick ? 16 : 128;
        InProcessLlamaBench inProcess = new InProcessLlamaBench(nativeDir);
        subsection("Same process: jseek's SpeedBenchmark vs llama-bench's own code (" + pairs + " alternating pairs, "
                + repsPerPair + " repetitions each; t/s)");
        table("test", "jseek median", "llama-bench median", "ratio of medians", "paired ratio: median (IQR)", "raw jseek",
                "raw llama-bench");
        List<SpeedBenchmark.Test> tests = List.of(new SpeedBenchmark.Test(pp, 0), new SpeedBenchmark.Test(0, tg));
        SpeedBenchmark.Params params = new SpeedBenchmark.Params(2048, 512, threads, repsPerPair,
                ContextParams.FlashAttention.parse(kvArg("-fa", "auto")), ContextParams.CacheType.parse(kvArg("-ctk", "f16")),
                ContextParams.CacheType.parse(kvArg("-ctv", "f16")));
        try (Model m = Model.load(model, ModelParams.defaults().withGpuLayers(gpuLayers))) {
            for (SpeedBenchmark.Test test : tests) {
                List<String> args = benchArgs(model, test, repsPerPair);
                double[][] samples = interleaved(pairs,
                        () -> SpeedBenchmark.run(m, test, params).avgTs(),
                        () -> inProcessTs(inProcess, args));
                row(test.name(), fmt(median(samples[0])), fmt(median(samples[1])),
                        String.format(Locale.ROOT, "%.3f", median(samples[0]) / median(samples[1])), pairedRatio(samples),
                        raw(samples[0]), raw(samples[1]));
            }
        }
        text("llama-bench's code is the library the llama-bench executable is a one-line main() around "
                + "(libllama-bench-impl.so), called in this JVM (bench/InProcessLlamaBench.java); jseek's side is "
                + "SpeedBenchmark, which `jseek bench` runs. Same process, same libraries, each pair seconds apart: "
                + "this row shows what jseek's own code costs per token.");

        subsection("The JVM around it: llama-bench's code in this JVM vs the llama-bench executable (" + pairs
                + " alternating pairs; t/s)");
        table("test", "in a JVM median", "executable median", "paired ratio: median (IQR)", "raw in a JVM", "raw executable");
        SpeedBenchmark.Test test = tests.getLast();
        List<String> args = benchArgs(model, test, repsPerPair);
        double[][] samples = interleaved(pairs, () -> inProcessTs(inProcess, args), () -> benchTs(llamaBench(args)));
        row(test.name(), fmt(median(samples[0])), fmt(median(samples[1])), pairedRatio(samples), raw(samples[0]), raw(samples[1]));
        text("The same llama.cpp code on both sides; the difference is the process it runs in. This JVM runs with "
                + "jseek's launcher options (cli/launcher.sh). On a machine with as many cores as compute threads, the "
                + "JVM's own threads (JIT compilers, periodic tasks) take turns on a core that one of ggml's "
                + "compute threads needs, and the other waits at the next barrier.");
        command("bench/run --models tiny   (this section needs the in-process call; no single command line)");
    }

    /** The arguments jseek bench and llama-bench share, for one test, with JSON output. */
    private List<String> benchArgs(Path model, SpeedBenchmark.Test test, int repetitions) {
        return concat(List.of("-m", model.toString(), "-p", str(test.prompt()), "-n", str(test.generate()), "-r", str(repetitions),
                "-t", str(threads), "-ngl", str(gpuLayers), "-o", "json"), kvArgs);
    }

    /** The value of one of -fa, -ctk, -ctv as given (the last one if repeated), or llama-bench's default. */
    private String kvArg(String flag, String otherwise) {
        String value = otherwise;
        for (int i = 0; i + 1 < kvArgs.size(); i += 2) {
            if (kvArgs.get(i).equals(flag)) {
                value = kvArgs.get(i + 1);
            }
        }
        return value;
    }

    private static double inProcessTs(InProcessLlamaBench llamaBench, List<String> args) {
        try {
            return JSON.readTree(llamaBench.run(args)).get(0).get("avg_ts").asDouble();
        } catch (IOException e) {
            throw new IllegalStateException("llama-bench (in-process) output unreadable: " + e.getMessage(), e);
        }
    }

    // ---- 2. tg against memory bandwidth ----

    private void againstBandwidth(Path model) throws Exception {
        GgufFile file = GgufReader.read(model);
        long experts = file.metadata().getLong("deepseek2.expert_count");
        long used = file.metadata().getLong("deepseek2.expert_used_count");
        double activeBytes = 0;
        for (GgufTensorInfo t : file.tensors()) {
            if (t.name().contains("_exps.")) {
                activeBytes += t.byteSize() * (double) used / experts;
            } else if (t.name().equals("token_embd.weight")) {
                activeBytes += t.byteSize() / (double) t.dimension(1); // one row per token
            } else {
                activeBytes += t.byteSize();
            }
        }
        double[] bandwidth = new double[reps];
        for (int i = 0; i < reps; i++) {
            bandwidth[i] = readBandwidth(threads);
        }
        double bw = median(bandwidth);
        double[] tg = new double[reps];
        for (int i = 0; i < reps; i++) {
            tg[i] = benchTs(jseekBench(benchArgs(model, new SpeedBenchmark.Test(0, 128), 1)));
        }
        subsection("tg128 against the memory-bandwidth bound");
        table("active weights per token", "measured read bandwidth (median, " + threads + " threads)", "bound (t/s)",
                "jseek tg128 median (t/s)", "of the bound");
        row(gib((long) activeBytes), String.format(Locale.ROOT, "%.1f GB/s (min–max %s)", bw / 1e9, rangeScaled(bandwidth, 1e-9)),
                fmt(bw / activeBytes), fmt(median(tg)), String.format(Locale.ROOT, "%.0f %%", 100 * median(tg) / (bw / activeBytes)));
        text("Active weights: every tensor except the routed experts, plus " + used + "/" + experts
                + " of each expert tensor and one row of token_embd. Bandwidth: " + threads
                + " threads summing a 1 GiB off-heap buffer (Java, FFM), best of 3 passes per repetition.");
    }

    private static volatile long sink;

    private static double readBandwidth(int threads) {
        long bytes = 1L << 30;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment buffer = arena.allocate(bytes, 64);
            buffer.fill((byte) 1);
            long slice = bytes / threads;
            double best = 0;
            for (int pass = 0; pass < 3; pass++) {
                long start = System.nanoTime();
                long sum = IntStream.range(0, threads).parallel().mapToLong(t -> {
                    long s = 0;
                    MemorySegment part = buffer.asSlice(t * slice, slice);
                    for (long i = 0; i < slice; i += 8) {
                        s += part.get(ValueLayout.JAVA_LONG, i);
                    }
                    return s;
                }).sum();
                double seconds = (System.nanoTime() - start) / 1e9;
                sink += sum; // a used result, so the JIT cannot drop the reads
                best = Math.max(best, bytes / seconds);
            }
            return best;
        }
    }

    // ---- 3. many prompts ----

    private void manyPrompts(Path model, double promptRate) throws Exception {
        int prompts = 8;
        int tokens = quick ? 16 : 32;
        int[] parallels = quick ? new int[] {1, 2} : new int[] {1, 2, 4, 8};
        subsection("Many prompts: " + prompts + " prompts, " + tokens + " tokens each, aggregate generated t/s ("
                + reps + " repetitions)");
        table("--parallel", "median t/s", "min–max", "vs one after another", "raw");
        List<List<ChatMessage>> requests = IntStream.range(0, prompts)
                .mapToObj(i -> List.of(ChatMessage.user("Write a short story about the number " + (i * 37 + 11) + ".")))
                .toList();
        ReplyOptions reply = ReplyOptions.defaults().withMaxTokens(tokens).withSampling(SamplerParams.greedy());
        double sequential = 0;
        try (Model m = Model.load(model, ModelParams.defaults().withGpuLayers(gpuLayers))) {
            for (int parallel : parallels) {
                double[] rates = new double[reps];
                for (int r = 0; r < reps; r++) {
                    var context = ContextParams.defaults().withContextSize(parallel * 512).withThreads(threads).withSequences(parallel);
                    try (ChatEngine engine = new ChatEngine(m, new ChatEngine.Options(null, context, Integer.MAX_VALUE))) {
                        long start = System.nanoTime();
                        List<ChatEngine.Handle> handles = requests.stream()
                                .map(messages -> engine.submit(messages, reply, new ChatEngine.Listener() { })).toList();
                        int generated = 0;
                        for (ChatEngine.Handle h : handles) {
                            generated += h.result().join().turn().stats().generatedTokens();
                        }
                        long elapsed = System.nanoTime() - start;
                        rates[r] = generated * 1e9 / elapsed;
                    }
                }
                if (parallel == 1) {
                    sequential = median(rates);
                }
                row(str(parallel), fmt(median(rates)), range(rates),
                        String.format(Locale.ROOT, "%.2f×", median(rates) / sequential), raw(rates));
                progress("  parallel " + parallel + ": " + fmt(median(rates)) + " t/s");
            }
        }
        text("\"One after another\" is --parallel 1: the same ChatEngine that `jseek batch` uses, one sequence at a time, "
                + "model loaded once. Time is wall time of the whole batch (prompt processing included). Sampling is "
                + "greedy: with random weights the next-token distribution is nearly flat, so top-p 0.95 must sort the "
                + "whole 102k vocabulary (about 8 ms a token here) where a trained model's peaked distribution needs "
                + "the top 256; that cost would swamp the batching being measured.");
        command("jseek batch -m MODEL --parallel N -n " + tokens + " prompts.jsonl   (here through the same ChatEngine API in-process)");
        llamaBatched(model, parallels, tokens);
        text(String.format(Locale.ROOT, "The ceiling: prompt processing, llama.cpp's most efficient way through many tokens "
                + "(one big batch per decode), runs at %s t/s on this model here (the pp row above), %.2f× the --parallel 1 "
                + "rate. Generating for many sequences at once is a smaller batch per decode (one token per sequence), so its "
                + "aggregate rate stays below that.", fmt(promptRate), promptRate / sequential));
    }

    private static final Pattern BATCHED_SPEED = Pattern.compile("decoded (\\d+) tokens in ([\\d.]+) s, speed: ([\\d.]+) t/s");

    /**
     * llama.cpp's own batched generation, llama-batched, at the same parallel counts: one shared prompt, N sequences,
     * generation time only. It shows how far batching goes on this machine with llama.cpp alone.
     */
    private void llamaBatched(Path model, int[] parallels, int tokens) {
        String prompt = "Write a short story about the number 11.";
        int length = tokens + 12; // llama-batched's -n counts the prompt's ~12 tokens too
        text("llama.cpp's own batched generation on the same model (llama-batched: one shared prompt, " + tokens
                + " tokens per sequence, generation time only; " + reps + " repetitions):");
        report.append('\n');
        table("llama-batched -np", "median t/s", "min–max", "vs -np 1", "raw");
        double[] medians = new double[parallels.length];
        for (int k = 0; k < parallels.length; k++) {
            double[] rates = new double[reps];
            for (int r = 0; r < reps; r++) {
                List<String> command = List.of(tool("llama-batched"), "-m", model.toString(), "-p", prompt, "-np", str(parallels[k]),
                        "-n", str(length), "-t", str(threads), "-tb", str(threads), "-c", str(parallels[k] * 512), "-kvu",
                        "-ngl", str(gpuLayers));
                Proc p = Proc.run(command).requireOk("llama-batched");
                Matcher m = BATCHED_SPEED.matcher(p.stdout() + p.stderr());
                if (!m.find()) {
                    throw new IllegalStateException("llama-batched printed no speed line: " + command + "\n" + p.stderr());
                }
                rates[r] = Double.parseDouble(m.group(3));
            }
            medians[k] = median(rates);
            row(str(parallels[k]), fmt(medians[k]), range(rates), String.format(Locale.ROOT, "%.2f×", medians[k] / medians[0]), raw(rates));
            progress("  llama-batched -np " + parallels[k] + ": " + fmt(medians[k]) + " t/s");
        }
        command("llama-batched -m MODEL -p \"" + prompt + "\" -np N -n " + length + " -t " + threads + " -tb " + threads
                + " -c N*512 -kvu");
    }

    // ---- 4. chat turns ----

    private void chatTurns(Path model) throws Exception {
        int turns = quick ? 4 : 10;
        int tokens = quick ? 8 : 24;
        subsection("Chat: time to first token on turn " + turns + " (ms, " + reps + " repetitions)");
        table("turn", "history tokens", "new tokens decoded (reuse)", "TTFT with KV reuse", "TTFT re-processing all", "raw reuse",
                "raw re-process");
        try (Model m = Model.load(model, ModelParams.defaults().withGpuLayers(gpuLayers))) {
            ChatOptions options = ChatOptions.defaults().withMaxTokens(tokens)
                    .withContext(ContextParams.defaults().withContextSize(4096).withThreads(threads))
                    .withSampling(SamplerParams.deepSeekR1().withSeed(7));
            double[][] ttft = new double[2][reps];
            double[] firstTurn = new double[reps];
            int[] firstAndLast = new int[2];
            int[] decoded = new int[1];
            for (int r = 0; r < reps; r++) {
                try (ChatSession session = new ChatSession(m, options)) {
                    for (int t = 1; t <= turns; t++) {
                        ChatTurn turn = session.send(userText(t), ChatListener.silent());
                        if (t == 1) {
                            firstTurn[r] = turn.stats().firstTokenNanos() / 1e6;
                            firstAndLast[0] = turn.stats().promptTokens();
                        }
                        if (t == turns) {
                            ttft[0][r] = turn.stats().firstTokenNanos() / 1e6;
                            firstAndLast[1] = turn.stats().promptTokens();
                            decoded[0] = turn.stats().decodedPromptTokens();
                            var history = new ArrayList<>(session.history());
                            history.subList(history.size() - 2, history.size()).clear(); // the last exchange is re-sent
                            try (ChatSession fresh = new ChatSession(m, options)) {
                                fresh.restoreHistory(history);
                                ChatTurn again = fresh.send(userText(t), ChatListener.silent());
                                ttft[1][r] = again.stats().firstTokenNanos() / 1e6;
                            }
                        }
                    }
                }
            }
            row(str(turns), str(firstAndLast[1]), str(decoded[0]), fmt(median(ttft[0])) + " (" + range(ttft[0]) + ")",
                    fmt(median(ttft[1])) + " (" + range(ttft[1]) + ")", raw(ttft[0]), raw(ttft[1]));
            text("With reuse only the new turn is decoded; without it the whole conversation is. For scale: turn 1 ("
                    + firstAndLast[0] + " prompt tokens) has a TTFT of " + fmt(median(firstTurn)) + " ms (median).");
        }
    }

    private static String userText(int turn) {
        return "Turn " + turn + ": tell me something about the number " + (turn * 13) + " and why it matters to you.";
    }

    // ---- 5. memory and start-up ----

    private void peakMemory(Path model) {
        int gen = quick ? 8 : 16;
        List<String> args = benchArgs(model, new SpeedBenchmark.Test(64, gen), 1);
        subsection("Peak memory (same workload: -p 64 -n " + gen + " -r 1)");
        table("tool", "peak RSS (VmHWM)", "peak anonymous RSS", "raw VmHWM (MiB)");
        List<Proc> jseekRuns = new ArrayList<>();
        List<Proc> llamaRuns = new ArrayList<>();
        for (int i = 0; i < Math.min(reps, 3); i++) {
            jseekRuns.add(Proc.run(jseekBench(args)).requireOk("jseek bench"));
            llamaRuns.add(Proc.run(llamaBench(args)).requireOk("llama-bench"));
        }
        double[] jseekHwm = jseekRuns.stream().mapToDouble(Proc::peakRss).toArray();
        double[] llamaHwm = llamaRuns.stream().mapToDouble(Proc::peakRss).toArray();
        double[] jseekAnon = jseekRuns.stream().mapToDouble(Proc::peakAnon).toArray();
        double[] llamaAnon = llamaRuns.stream().mapToDouble(Proc::peakAnon).toArray();
        row("jseek bench", mib(median(jseekHwm)), mib(median(jseekAnon)), rawScaled(jseekHwm, 1.0 / (1 << 20)));
        row("llama-bench", mib(median(llamaHwm)), mib(median(llamaAnon)), rawScaled(llamaHwm, 1.0 / (1 << 20)));
        text(String.format(Locale.ROOT, "jseek's overhead: %s peak RSS, %s anonymous. Weights are memory-mapped, so they count"
                        + " once, as file pages, in both.", mib(median(jseekHwm) - median(llamaHwm)),
                mib(median(jseekAnon) - median(llamaAnon))));
    }

    private void startUp(Path tiny) {
        subsection("Start-up: process start to first token on the tiny model (ms, " + reps + " repetitions)");
        table("command", "median", "min–max", "raw");
        double[][] samples = interleaved(
                () -> Proc.run(jseek("run", "-m", tiny.toString(), "-n", "1", "-ngl", str(gpuLayers), "--raw", "Hello")).requireOk("jseek run").wallMs(),
                () -> Proc.run(List.of(tool("llama-simple"), "-m", tiny.toString(), "-n", "1", "-ngl", str(gpuLayers), "Hello")).requireOk("llama-simple").wallMs());
        row("jseek run -n 1 --raw Hello", fmt(median(samples[0])), range(samples[0]), raw(samples[0]));
        row("llama-simple -n 1 Hello", fmt(median(samples[1])), range(samples[1]), raw(samples[1]));
        text("Wall time of the whole process: JVM start, library and model load, prompt, one token, exit. The "
                + "model was seen before, so jseek's pre-flight check is not repeated.");
    }

    // ---- 6. the pre-flight ----

    /**
     * The child JVM jseek starts for a model file it has not loaded before, on each model and on a sparse file with
     * DeepSeek-R1's layout (1.3 TB, the weights a hole): wall time and peak memory of the dry-run load.
     */
    private void preflight(List<Path> models) throws IOException {
        int runs = Math.min(reps, 3);
        subsection("Pre-flight: the dry-run load of a model file not seen before, in its child JVM (" + runs + " runs)");
        table("model file", "size", "wall time (ms)", "peak RSS (VmHWM)", "peak anonymous RSS", "raw VmHWM (MiB)");
        Path r1 = workDir.resolve("r1-shape-sparse.gguf");
        TinyDeepSeek.writeSparse(vocab(), r1, TinyDeepSeek.Config.r1Shape());
        try {
            for (Path model : concat(models, List.of(r1))) {
                List<Proc> done = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    done.add(Proc.run(preflightChild(model)).requireOk("the pre-flight child"));
                }
                double[] wall = done.stream().mapToDouble(Proc::wallMs).toArray();
                // the child's own VmHWM, read as it exits, where it printed one; else the polled value
                double[] hwm = done.stream().mapToDouble(p -> p.stdout().lines().filter(l -> l.startsWith(PREFLIGHT_RSS))
                        .mapToLong(l -> Long.parseLong(l.substring(PREFLIGHT_RSS.length()).strip())).findFirst().orElse(p.peakRss())).toArray();
                double[] anon = done.stream().mapToDouble(Proc::peakAnon).toArray();
                row(model.getFileName().toString(), gib(Files.size(model)), fmt(median(wall)), mib(median(hwm)), mib(median(anon)),
                        rawScaled(hwm, 1.0 / (1 << 20)));
            }
        } finally {
            Files.delete(r1);
        }
        text("llama.cpp reads the metadata, makes the tensors, builds and schedules a small context's graphs and tokenizes "
                + "a sample, with no_alloc: no weight is read or allocated, so the cost does not grow with the weights. The "
                + "R1-shaped file takes 4 MB of disk. A file that passed is remembered; the next load skips this.");
        List<String> shown = new ArrayList<>(preflightChild(Path.of("MODEL")));
        shown.set(0, "java");
        shown.replaceAll(a -> a.equals("-Djseek.native.dir=" + nativeDir) ? "-Djseek.native.dir=$(native/build.sh)"
                : a.equals(System.getProperty("java.class.path")) ? "cli/target/jseek.jar" : a);
        command(String.join(" ", shown) + "   # peak RSS: /usr/bin/time -v, or the line it prints");
    }

    private static final String PREFLIGHT_RSS = "jseek-preflight: peak RSS bytes ";

    /** The command line Preflight.runChild starts (dev/jseek/Preflight.java): keep the two alike. */
    private List<String> preflightChild(Path model) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-XX:+SuppressFatalErrorMessage", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmn8m", "-Xmx256m",
                "-Djseek.native.dir=" + nativeDir, "-Djseek.preflight=off", "-cp", System.getProperty("java.class.path"),
                "dev.jseek.PreflightChild", model.toString());
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    // ---- processes ----

    private List<String> jseekBench(List<String> args) {
        List<String> command = jseek("bench");
        command.addAll(args);
        return command;
    }

    private List<String> llamaBench(List<String> args) {
        List<String> command = new ArrayList<>(List.of(tool("llama-bench")));
        command.addAll(args);
        return command;
    }

    private List<String> jseek(String... args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        // the JVM options cli/jseek uses (bench/run passes them), so jseek is measured as users run it
        String jvmOpts = System.getProperty("jseek.bench.jvmOpts", "--enable-native-access=ALL-UNNAMED").strip();
        command.addAll(Arrays.asList(jvmOpts.split("\\s+")));
        command.addAll(List.of("-Djseek.native.dir=" + nativeDir, "-cp", System.getProperty("java.class.path"), "dev.jseek.cli.Main"));
        command.addAll(Arrays.asList(args));
        return command;
    }

    private String tool(String name) {
        return nativeDir.resolve(name).toString();
    }

    /** A finished child process: its output, wall time and peak memory, polled from /proc while it ran. */
    record Proc(List<String> command, int exit, String stdout, String stderr, long wallNanos, long peakRss, long peakAnon) {
        static Proc run(List<String> command) {
            try {
                Path out = Files.createTempFile("bench", ".out");
                Path err = Files.createTempFile("bench", ".err");
                long start = System.nanoTime();
                Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                long hwm = 0;
                long anon = 0;
                Path status = Path.of("/proc", String.valueOf(p.pid()), "status");
                while (!p.waitFor(20, TimeUnit.MILLISECONDS)) {
                    try {
                        for (String line : Files.readAllLines(status)) {
                            if (line.startsWith("VmHWM:")) {
                                hwm = Math.max(hwm, kib(line));
                            } else if (line.startsWith("RssAnon:")) {
                                anon = Math.max(anon, kib(line));
                            }
                        }
                    } catch (IOException gone) {
                        // the process ended between waitFor and the read
                    }
                }
                long wall = System.nanoTime() - start;
                // new String(...) rather than Files.readString: tools print random-weight text, which need not be valid UTF-8
                Proc proc = new Proc(command, p.exitValue(), new String(Files.readAllBytes(out), StandardCharsets.UTF_8),
                        new String(Files.readAllBytes(err), StandardCharsets.UTF_8), wall, hwm, anon);
                Files.delete(out);
                Files.delete(err);
                return proc;
            } catch (IOException e) {
                throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }

        private static long kib(String line) {
            return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }

        Proc requireOk(String what) {
            if (exit != 0) {
                throw new IllegalStateException(what + " failed (exit " + exit + "): " + command + "\n" + stderr);
            }
            return this;
        }

        double wallMs() {
            return wallNanos / 1e6;
        }
    }

    // ---- report ----

    private void header(List<String> models) throws IOException {
        report.append("# jseek benchmark results\n\n");
        report.append("Written by `bench/run").append(quick ? " --quick" : "").append("` on ").append(Instant.now()).append(".\n\n");
        report.append("- Machine: ").append(cpuModel()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores, ").append(gib(totalMemory())).append(" RAM, ").append(System.getProperty("os.name")).append(' ')
                .append(System.getProperty("os.arch")).append(", Java ").append(Runtime.version()).append('\n');
        report.append("- GPU layers: ").append(gpuLayers).append(gpuLayers == 0 ? " (CPU only)" : "").append('\n');
        report.append("- KV cache and attention: ").append(kvArgs.isEmpty() ? "llama-bench's defaults (f16, flash attention auto)"
                : "`" + String.join(" ", kvArgs) + "`, both sides").append('\n');
        report.append("- llama.cpp build: `").append(nativeDir.getFileName()).append("` (the same libraries for both sides)\n");
        report.append("- Threads: ").append(threads).append("; repetitions: ").append(quick ? String.valueOf(reps) : TINY_REPS + " on the tiny model, 5 on the V2-Lite shape")
                .append(", interleaved (the side that goes first alternates)\n");
        report.append("- Models: ").append(String.join(", ", models)).append("; random weights from jseek's generator\n");
    }

    private static String cpuModel() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).strip();
                }
            }
        }
        return System.getProperty("os.arch");
    }

    private static long totalMemory() throws IOException {
        Path meminfo = Path.of("/proc/meminfo");
        if (Files.isReadable(meminfo)) {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        }
        return 0;
    }

    private void section(String title) {
        progress(title);
        report.append("\n## ").append(title).append("\n");
    }

    private void subsection(String title) {
        progress(title);
        report.append("\n### ").append(title).append("\n\n");
    }

    private void table(String... headers) {
        report.append("| ").append(String.join(" | ", headers)).append(" |\n|");
        report.append("---|".repeat(headers.length)).append('\n');
    }

    private void row(String... cells) {
        report.append("| ").append(String.join(" | ", cells)).append(" |\n");
    }

    private void text(String line) {
        report.append('\n').append(line).append('\n');
    }

    private void command(String... lines) {
        report.append("\n```\n").append(String.join("\n", lines)).append("\n```\n");
    }

    private static void progress(String message) {
        System.err.println("bench: " + message);
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    /** The median and interquartile range of a[i] / b[i] over the pairs. */
    private static String pairedRatio(double[][] samples) {
        double[] ratios = IntStream.range(0, samples[0].length).mapToDouble(i -> samples[0][i] / samples[1][i]).sorted().toArray();
        return String.format(Locale.ROOT, "%.3f (%.3f–%.3f)", median(ratios), quantile(ratios, 0.25), quantile(ratios, 0.75));
    }

    /** Linear interpolation between the closest ranks of sorted values. */
    private static double quantile(double[] sorted, double q) {
        double position = q * (sorted.length - 1);
        int below = (int) Math.floor(position);
        int above = Math.min(below + 1, sorted.length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    private static String range(double[] v) {
        return fmt(Arrays.stream(v).min().orElse(0)) + "–" + fmt(Arrays.stream(v).max().orElse(0));
    }

    private static String rangeScaled(double[] v, double scale) {
        return String.format(Locale.ROOT, "%.1f–%.1f", Arrays.stream(v).min().orElse(0) * scale, Arrays.stream(v).max().orElse(0) * scale);
    }

    private static String raw(double[] v) {
        return String.join(" ", Arrays.stream(v).mapToObj(BenchSuite::fmt).toList());
    }

    private static String rawScaled(double[] v, double scale) {
        return String.join(" ", Arrays.stream(v).mapToObj(x -> fmt(x * scale)).toList());
    }

    private static String fmt(double v) {
        return Math.abs(v) >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String mib(double bytes) {
        return String.format(Locale.ROOT, "%,.0f MiB", bytes / (1 << 20));
    }

    private static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
    }

    private static String str(int v) {
        return String.valueOf(v);
    }
}
