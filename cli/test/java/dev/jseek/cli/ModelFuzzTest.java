package dev.jseek.cli;

import dev.jseek.TestModels;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jseek.gguf.GgufArray;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufTensorInfo;
import dev.jseek.gguf.GgufValue;
import dev.jseek.gguf.GgufWriter;
import dev.jseek.models.TinyDistill;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Mutated copies of each family's generated model through `jseek info` and a real load and generation, in this JVM:
 * none may crash it (the test would die with it), leave an hs_err file, or fail with anything but one line on
 * stderr. The families are every architecture jseek runs DeepSeek models as: deepseek2 (R1's layout), deepseek32
 * (V3.2), deepseek4 (V4), and the R1-Distill ones, qwen2, llama and qwen3, each the tiny random-weight model its
 * generator writes. Mutations: byte flips in the header, metadata and tensor table; truncations; huge lengths;
 * swapped tensor types; and the family's hyperparameters set to odd values or removed, which reach llama.cpp when
 * the Java checks let them through.
 *
 * <p>The default run does {@value #DEFAULT_PER_FAMILY} files per family, so a new family's generator fails the suite
 * if a mutated copy of its model crashes the JVM. The long run is {@code bench/fuzz} (1,000 divided over the
 * families, the result recorded in bench/FUZZ.md): {@code -Djseek.fuzz.count=N} (files in all, divided evenly over
 * the families run), {@code -Djseek.fuzz.families=deepseek4,qwen3} (some families only), {@code -Djseek.fuzz.seed=S},
 * {@code -Djseek.fuzz.report=FILE}.
 */
class ModelFuzzTest {
    private static final int DEFAULT_PER_FAMILY = 6; // one file of each mutation kind
    private static final long[] ODD_VALUES = {0, 1, 2, 3, 5, 7, 26, 27, 31, 64, 1000, 1 << 20, 0xFFFF_FFFFL};
    private static final List<String> DEEPSEEK2_KEYS = List.of("block_count", "embedding_length", "feed_forward_length",
            "attention.head_count", "attention.head_count_kv", "attention.kv_lora_rank", "attention.q_lora_rank",
            "attention.key_length", "attention.value_length", "attention.key_length_mla", "attention.value_length_mla",
            "rope.dimension_count", "expert_count", "expert_used_count", "expert_shared_count", "expert_group_count",
            "expert_group_used_count", "expert_feed_forward_length", "leading_dense_block_count", "context_length",
            "expert_gating_func", "vocab_size", "rope.scaling.original_context_length");
    private static final List<String> DEEPSEEK32_KEYS = concat(DEEPSEEK2_KEYS, List.of("attention.indexer.head_count",
            "attention.indexer.key_length", "attention.indexer.top_k"));
    // the keys src/models/deepseek4.cpp and the generic loader read (TinyDeepSeek4 writes them all)
    private static final List<String> DEEPSEEK4_KEYS = List.of("block_count", "context_length", "embedding_length",
            "attention.head_count", "attention.head_count_kv", "attention.key_length", "attention.value_length",
            "rope.dimension_count", "attention.q_lora_rank", "attention.sliding_window", "attention.output_group_count",
            "attention.output_lora_rank", "attention.compress_ratios", "attention.indexer.head_count",
            "attention.indexer.key_length", "attention.indexer.top_k", "hyper_connection.count",
            "hyper_connection.sinkhorn_iterations", "hyper_connection.epsilon", "hash_layer_count", "expert_count",
            "expert_used_count", "expert_shared_count", "expert_feed_forward_length", "expert_gating_func",
            "swiglu_clamp_exp", "vocab_size", "rope.scaling.original_context_length");
    // qwen2, llama and qwen3 as TinyDistill writes them (llama and qwen3 add head sizes and vocab_size)
    private static final List<String> DENSE_KEYS = List.of("block_count", "context_length", "embedding_length",
            "feed_forward_length", "attention.head_count", "attention.head_count_kv", "attention.key_length",
            "attention.value_length", "rope.dimension_count", "vocab_size", "rope.freq_base",
            "attention.layer_norm_rms_epsilon");

    /** The families fuzzed: each architecture's generated model and the hyperparameters its loader reads. */
    enum Family {
        DEEPSEEK2("deepseek2", "deepseek2 (R1)", DEEPSEEK2_KEYS),
        DEEPSEEK32("deepseek32", "deepseek32 (V3.2)", DEEPSEEK32_KEYS),
        DEEPSEEK4("deepseek4", "deepseek4 (V4)", DEEPSEEK4_KEYS),
        QWEN2("qwen2", "qwen2 (R1-Distill-Qwen)", DENSE_KEYS),
        LLAMA("llama", "llama (R1-Distill-Llama)", DENSE_KEYS),
        QWEN3("qwen3", "qwen3 (R1-0528-Qwen3)", DENSE_KEYS);

        final String architecture;
        final String label;
        final List<String> keys;

        Family(String architecture, String label, List<String> keys) {
            this.architecture = architecture;
            this.label = label;
            this.keys = keys;
        }
    }

    /** One family's run, kept for the report the last family writes. */
    private record Run(int files, Map<String, Integer> outcomes, List<String> failures, List<String> caughtByPreflight,
                       Duration took) {
    }

    private static final Map<Family, Run> RUNS = new java.util.HashMap<>();

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @EnumSource(Family.class)
    void mutatedModelsNeverCrashTheJvm(Family family) throws Exception {
        List<Family> families = families();
        assumeTrue(families.contains(family), family.architecture + " not among -Djseek.fuzz.families");
        int count = countFor(family, families);
        long seed = Long.getLong("jseek.fuzz.seed", 1);
        Path model = model(family);
        byte[] base = Files.readAllBytes(model);
        GgufFile gguf = GgufReader.read(model);
        Path cwd = Path.of("").toAbsolutePath();
        List<Path> hsErrBefore = hsErrFiles(cwd);
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        List<String> caughtByPreflight = new ArrayList<>();
        Instant start = Instant.now();
        for (int i = 0; i < count; i++) {
            // deepseek2's stream is the one the single-family run used
            Random random = new Random(seed * 1_000_003 + i + family.ordinal() * 1_000_000_007L);
            Path file = dir.resolve("mutant-" + family.architecture + "-" + i + ".gguf");
            String mutation = mutate(family, i % 6, random, base, gguf, file);
            Outcome info = jseek("info", file.toString());
            Outcome load = jseek("run", "--raw", "-m", file.toString(), "-n", "2", "-c", "256", "--temp", "0", "The");
            for (Outcome r : List.of(info, load)) {
                String problem = problem(r);
                if (problem != null) {
                    failures.add(family.architecture + " #" + i + " " + mutation + ": " + problem);
                }
            }
            String outcome = category(load);
            outcomes.merge(outcome, 1, Integer::sum);
            if (outcome.startsWith("llama.cpp crashed")) {
                caughtByPreflight.add(family.architecture + " #" + i + " " + mutation + ": " + load.err().strip());
            }
            Files.delete(file);
        }
        assertEquals(hsErrBefore, hsErrFiles(cwd), "no JVM crash reports");
        synchronized (RUNS) {
            RUNS.put(family, new Run(count, outcomes, failures, caughtByPreflight, Duration.between(start, Instant.now())));
            if (RUNS.keySet().containsAll(families)) {
                report(families, seed);
            }
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static List<Family> families() {
        String chosen = System.getProperty("jseek.fuzz.families", "").strip();
        if (chosen.isEmpty()) {
            return List.of(Family.values());
        }
        List<String> names = List.of(chosen.split("\\s*,\\s*"));
        List<Family> families = java.util.Arrays.stream(Family.values()).filter(f -> names.contains(f.architecture)).toList();
        assertEquals(names.size(), families.size(), "-Djseek.fuzz.families names unknown families: " + chosen);
        return families;
    }

    /** Without -Djseek.fuzz.count each family gets the default; with it, the count is divided over the families. */
    private static int countFor(Family family, List<Family> families) {
        Integer total = Integer.getInteger("jseek.fuzz.count");
        if (total == null) {
            return DEFAULT_PER_FAMILY;
        }
        int index = families.indexOf(family);
        return total / families.size() + (index < total % families.size() ? 1 : 0);
    }

    /** The family's generated model (its generator's defaults), written once per build into the test work folder. */
    static Path model(Family family) {
        return switch (family) {
            case DEEPSEEK2 -> TestModels.tiny();
            case DEEPSEEK32 -> TestModels.deepSeek32();
            case DEEPSEEK4 -> TestModels.deepSeek4();
            case QWEN2, LLAMA, QWEN3 -> TestModels.distill(TinyDistill.Family.of(family.architecture));
        };
    }

    private static List<String> concat(List<String> a, List<String> b) {
        var all = new ArrayList<>(a);
        all.addAll(b);
        return List.copyOf(all);
    }

    /** Null when the result is fine: success, or a failure told in exactly one line. */
    private static String problem(Outcome r) {
        if (r.code() == 0) {
            return null;
        }
        List<String> lines = r.err().lines().filter(l -> !l.isBlank()).toList();
        if (lines.size() != 1 || !lines.getFirst().startsWith("jseek: ")) {
            return "exit " + r.code() + " with " + lines.size() + " lines on stderr: " + r.err();
        }
        if (!List.of(1, 2, 3, 4).contains(r.code())) {
            return "undocumented exit code " + r.code() + ": " + r.err();
        }
        return null;
    }

    private static String category(Outcome r) {
        if (r.code() == 0) {
            return "loads and generates";
        }
        String e = r.err();
        if (e.contains("crashed while test-loading")) {
            return "llama.cpp crashed in the pre-flight child; refused";
        }
        if (e.contains("is inconsistent")) {
            return "refused by the architecture check";
        }
        if (e.contains("Cannot load model")) {
            return "refused by llama.cpp's loader";
        }
        if (e.contains("needs") && e.contains("available")) {
            return "refused by the memory check";
        }
        return "refused by the GGUF reader or another check";
    }

    private String mutate(Family family, int kind, Random random, byte[] base, GgufFile gguf, Path file) throws IOException {
        byte[] bytes = base.clone();
        int header = (int) gguf.dataOffset();
        switch (kind) {
            case 0 -> {
                int flips = 1 + random.nextInt(8);
                StringBuilder where = new StringBuilder();
                for (int f = 0; f < flips; f++) {
                    int at = random.nextInt(header);
                    bytes[at] ^= (byte) (1 << random.nextInt(8));
                    where.append(at).append(' ');
                }
                Files.write(file, bytes);
                return "bit flips at " + where.toString().strip();
            }
            case 1 -> {
                // most cuts land in the tensor data; every third one inside the header
                int length = random.nextInt(3) == 0 ? random.nextInt(header) : random.nextInt(bytes.length);
                Files.write(file, java.util.Arrays.copyOf(bytes, length));
                return "truncated to " + length + " bytes";
            }
            case 2 -> {
                int at = 8 + random.nextInt(header - 16);
                long huge = random.nextBoolean() ? Long.MAX_VALUE : (1L << (20 + random.nextInt(40)));
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(at, huge);
                Files.write(file, bytes);
                return "length-sized value " + huge + " written at " + at;
            }
            case 3 -> {
                GgufTensorInfo tensor = gguf.tensors().get(random.nextInt(gguf.tensors().size()));
                int at = typeFieldOffset(bytes, header, tensor);
                int type = random.nextInt(42);
                ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(at, type);
                Files.write(file, bytes);
                return "type of " + tensor.name() + " set to " + type;
            }
            case 4 -> {
                String key = family.architecture + "." + family.keys.get(random.nextInt(family.keys.size()));
                long value = ODD_VALUES[random.nextInt(ODD_VALUES.length)];
                if (gguf.metadata().find(key).orElse(null) instanceof GgufArray array && array.size() > 0
                        && random.nextBoolean()) {
                    // an array (deepseek4's compress_ratios): one element odd, or one element short
                    int[] values = array.ints();
                    if (random.nextBoolean()) {
                        int at = random.nextInt(values.length);
                        values[at] = (int) value;
                        rewrite(gguf, file, m -> m.put(key, GgufArray.ofInt32(values)));
                        return key + "[" + at + "] = " + (int) value;
                    }
                    int[] shorter = java.util.Arrays.copyOf(values, values.length - 1);
                    rewrite(gguf, file, m -> m.put(key, GgufArray.ofInt32(shorter)));
                    return key + " one element short";
                }
                rewrite(gguf, file, m -> m.put(key, GgufValue.Int.uint32(value)));
                return key + " = " + value;
            }
            default -> {
                String key = family.architecture + "." + family.keys.get(random.nextInt(family.keys.size()));
                rewrite(gguf, file, m -> m.remove(key));
                return key + " removed";
            }
        }
    }

    /** Offset of the ggml type field in a tensor's entry: after its name, dimension count and dimensions. */
    private static int typeFieldOffset(byte[] bytes, int header, GgufTensorInfo tensor) {
        byte[] name = tensor.name().getBytes(StandardCharsets.UTF_8);
        byte[] needle = ByteBuffer.allocate(8 + name.length).order(ByteOrder.LITTLE_ENDIAN).putLong(name.length).put(name).array();
        for (int at = 0; at + needle.length < header; at++) {
            if (java.util.Arrays.equals(bytes, at, at + needle.length, needle, 0, needle.length)) {
                return at + needle.length + 4 + 8 * tensor.dimensions();
            }
        }
        throw new AssertionError("tensor entry of " + tensor.name() + " not found");
    }

    private static void rewrite(GgufFile gguf, Path target, java.util.function.Consumer<GgufWriter> change) throws IOException {
        GgufWriter copy = GgufWriter.copyOf(gguf);
        change.accept(copy);
        copy.write(target);
    }


    private static List<Path> hsErrFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("hs_err")).sorted().toList();
        }
    }

    private static void report(List<Family> families, long seed) throws IOException {
        String target = System.getProperty("jseek.fuzz.report");
        int files = 0;
        int failures = 0;
        Duration took = Duration.ZERO;
        var outcomes = new java.util.TreeSet<String>();
        for (Family f : families) {
            Run r = RUNS.get(f);
            files += r.files();
            failures += r.failures().size();
            took = took.plus(r.took());
            outcomes.addAll(r.outcomes().keySet());
        }
        StringBuilder b = new StringBuilder();
        String chosen = System.getProperty("jseek.fuzz.families", "").strip();
        b.append("`bench/fuzz ").append(files).append(' ').append(seed).append(chosen.isEmpty() ? "" : " " + chosen)
                .append("` on ").append(Instant.now()).append(": ").append(files)
                .append(" mutated copies of the generated models of ").append(families.size())
                .append(families.size() == 1 ? " family" : " families").append(", seed ").append(seed)
                .append(", each through `jseek info` and `jseek run --raw -n 2` in one JVM, in ")
                .append(took.toMinutes()).append(" min ").append(took.toSecondsPart()).append(" s.\n\n");
        b.append("- JVM crashes: none (the run finished; no hs_err file)\n");
        b.append("- Results not told in one line: ").append(failures).append('\n');
        b.append("\n| outcome of the load |");
        families.forEach(f -> b.append(' ').append(f.label).append(" |"));
        b.append(" all |\n|---|");
        families.forEach(f -> b.append("---|"));
        b.append("---|\n");
        for (String outcome : outcomes) {
            b.append("| ").append(outcome).append(" |");
            int all = 0;
            for (Family f : families) {
                int n = RUNS.get(f).outcomes().getOrDefault(outcome, 0);
                all += n;
                b.append(' ').append(n).append(" |");
            }
            b.append(' ').append(all).append(" |\n");
        }
        b.append("| files |");
        int all = 0;
        for (Family f : families) {
            all += RUNS.get(f).files();
            b.append(' ').append(RUNS.get(f).files()).append(" |");
        }
        b.append(' ').append(all).append(" |\n| time |");
        for (Family f : families) {
            b.append(' ').append(RUNS.get(f).took().toSeconds()).append(" s |");
        }
        b.append(' ').append(took.toSeconds()).append(" s |\n");
        List<String> caught = families.stream().flatMap(f -> RUNS.get(f).caughtByPreflight().stream()).toList();
        if (!caught.isEmpty()) {
            b.append("\nFiles that passed the Java checks and crashed llama.cpp in the pre-flight child (this JVM went on):\n");
            caught.forEach(f -> b.append("\n- ").append(f.replace('\n', ' ')));
            b.append('\n');
        }
        families.stream().flatMap(f -> RUNS.get(f).failures().stream()).forEach(f -> b.append("\n- ").append(f.replace('\n', ' ')));
        System.err.println(b);
        if (target != null) {
            FuzzReport.writeSection(Path.of(target), "Model files", b.toString());
        }
    }
}
