package dev.jseek.cli;

import dev.jseek.Model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufTensorInfo;
import dev.jseek.gguf.GgufValue;
import dev.jseek.gguf.GgufWriter;
import dev.jseek.models.TinyDeepSeek;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mutated copies of the tiny model through `jseek info` and a real load and generation, in this JVM: none may
 * crash it (the test would die with it), leave an hs_err file, or fail with anything but one line on stderr.
 * Mutations: byte flips in the header, metadata and tensor table; truncations; huge lengths; swapped tensor types;
 * and hyperparameters set to odd values, which reach llama.cpp when the Java checks let them through.
 *
 * <p>The default run does {@value #DEFAULT_COUNT}; the long run is {@code bench/fuzz} (1,000, its result recorded
 * in bench/FUZZ.md): {@code -Djseek.fuzz.count=N}, {@code -Djseek.fuzz.seed=S}, {@code -Djseek.fuzz.report=FILE}.
 */
class ModelFuzzTest {
    private static final int DEFAULT_COUNT = 40;
    private static final Path MODEL = DemoModel.ensure(Path.of(System.getProperty("jseek.test.work", "target/test-work")),
            TinyDeepSeek.Config.defaults());
    private static final List<String> HYPERPARAMETERS = List.of("block_count", "embedding_length", "feed_forward_length",
            "attention.head_count", "attention.head_count_kv", "attention.kv_lora_rank", "attention.q_lora_rank",
            "attention.key_length", "attention.value_length", "attention.key_length_mla", "attention.value_length_mla",
            "rope.dimension_count", "expert_count", "expert_used_count", "expert_shared_count", "expert_group_count",
            "expert_group_used_count", "expert_feed_forward_length", "leading_dense_block_count", "context_length",
            "expert_gating_func", "vocab_size", "rope.scaling.original_context_length");
    private static final long[] ODD_VALUES = {0, 1, 2, 3, 5, 7, 26, 27, 31, 64, 1000, 1 << 20, 0xFFFF_FFFFL};

    @TempDir
    Path dir;

    @Test
    void mutatedModelsNeverCrashTheJvm() throws Exception {
        int count = Integer.getInteger("jseek.fuzz.count", DEFAULT_COUNT);
        long seed = Long.getLong("jseek.fuzz.seed", 1);
        byte[] base = Files.readAllBytes(MODEL);
        GgufFile gguf = GgufReader.read(MODEL);
        Path cwd = Path.of("").toAbsolutePath();
        List<Path> hsErrBefore = hsErrFiles(cwd);
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        List<String> caughtByPreflight = new ArrayList<>();
        Instant start = Instant.now();
        for (int i = 0; i < count; i++) {
            Random random = new Random(seed * 1_000_003 + i);
            Path file = dir.resolve("mutant-" + i + ".gguf");
            String mutation = mutate(i % 6, random, base, gguf, file);
            String[] info = run("info", file.toString());
            String[] load = run("run", "--raw", "-m", file.toString(), "-n", "2", "-c", "256", "--temp", "0", "The");
            for (String[] r : List.of(info, load)) {
                String problem = problem(r);
                if (problem != null) {
                    failures.add("#" + i + " " + mutation + ": " + problem);
                }
            }
            String outcome = category(load);
            outcomes.merge(outcome, 1, Integer::sum);
            if (outcome.startsWith("llama.cpp crashed")) {
                caughtByPreflight.add("#" + i + " " + mutation + ": " + load[2].strip());
            }
            Files.delete(file);
        }
        assertEquals(hsErrBefore, hsErrFiles(cwd), "no JVM crash reports");
        report(count, seed, outcomes, failures, caughtByPreflight, Duration.between(start, Instant.now()));
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** Null when the result is fine: success, or a failure told in exactly one line. */
    private static String problem(String[] r) {
        if (r[0].equals("0")) {
            return null;
        }
        List<String> lines = r[2].lines().filter(l -> !l.isBlank()).toList();
        if (lines.size() != 1 || !lines.getFirst().startsWith("jseek: ")) {
            return "exit " + r[0] + " with " + lines.size() + " lines on stderr: " + r[2];
        }
        if (!List.of("1", "2", "3", "4").contains(r[0])) {
            return "undocumented exit code " + r[0] + ": " + r[2];
        }
        return null;
    }

    private static String category(String[] r) {
        if (r[0].equals("0")) {
            return "loads and generates";
        }
        String e = r[2];
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

    private String mutate(int kind, Random random, byte[] base, GgufFile gguf, Path file) throws IOException {
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
                String key = "deepseek2." + HYPERPARAMETERS.get(random.nextInt(HYPERPARAMETERS.size()));
                long value = ODD_VALUES[random.nextInt(ODD_VALUES.length)];
                rewrite(gguf, file, m -> m.put(key, GgufValue.Int.uint32(value)));
                return key + " = " + value;
            }
            default -> {
                String key = "deepseek2." + HYPERPARAMETERS.get(random.nextInt(HYPERPARAMETERS.size()));
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

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    private static List<Path> hsErrFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("hs_err")).sorted().toList();
        }
    }

    private static void report(int count, long seed, Map<String, Integer> outcomes, List<String> failures,
                               List<String> caughtByPreflight, Duration took) throws IOException {
        String target = System.getProperty("jseek.fuzz.report");
        StringBuilder b = new StringBuilder();
        b.append("`bench/fuzz` on ").append(Instant.now()).append(": ").append(count).append(" mutated copies of the tiny model, seed ")
                .append(seed).append(", each through `jseek info` and `jseek run --raw -n 2` in one JVM, in ")
                .append(took.toMinutes()).append(" min.\n\n");
        b.append("- JVM crashes: none (the run finished; no hs_err file)\n");
        b.append("- Results not told in one line: ").append(failures.size()).append('\n');
        b.append("\n| outcome of the load | files |\n|---|---|\n");
        outcomes.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        if (!caughtByPreflight.isEmpty()) {
            b.append("\nFiles that passed the Java checks and crashed llama.cpp in the pre-flight child (this JVM went on):\n");
            caughtByPreflight.forEach(f -> b.append("\n- ").append(f.replace('\n', ' ')));
            b.append('\n');
        }
        failures.forEach(f -> b.append("\n- ").append(f.replace('\n', ' ')));
        System.err.println(b);
        if (target != null) {
            FuzzReport.writeSection(Path.of(target), "Model files", b.toString());
        }
    }
}
