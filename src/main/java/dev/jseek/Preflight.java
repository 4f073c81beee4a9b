package dev.jseek;

import dev.jseek.internal.NativeLibraries;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dry-runs the load of a model file this machine has not loaded before in a child JVM ({@link PreflightChild}):
 * llama.cpp reads the metadata, makes the weight tensors and builds a context's graphs, but reads and allocates no
 * weight. A file whose defects slip past jseek's Java checks and make llama.cpp abort there (GGML_ASSERT, a division
 * by zero) then ends the child, and this process gets a {@link ModelLoadException} naming the file and llama.cpp's
 * last words. The child needs the metadata in memory, not the weights, so a 400 GB model costs it seconds, not a
 * second full load. No graph runs, so an abort inside a CPU kernel (a weight stored as an integer type) is not seen
 * here; the Java checks refuse the one such case known (bench/FUZZ.md). A file that passed is remembered by path,
 * size, modification time and library build, under the cache's {@code preflight/} directory, so even that is paid
 * once. {@link ModelParams#withPreflight(boolean)} (the cli's {@code --no-preflight}) skips it for one load;
 * {@code JSEEK_PREFLIGHT=off} or {@code -Djseek.preflight=off} for the whole process.
 */
final class Preflight {
    private static final System.Logger LOG = System.getLogger("dev.jseek.preflight");
    // child exit codes: clean refusal (the in-process load will say why) and success
    static final int EXIT_OK = 0;
    static final int EXIT_LOAD_FAILED = 3;
    // how the child reports its peak resident memory, in bytes, on a line of its own
    static final String PEAK_RSS = "jseek-preflight: peak RSS bytes ";
    // A child that takes longer is treated as a hang. It reads the header only, so its time hardly grows with the
    // file (bench/RESULTS.md: 0.6 s for the 9.7 GiB V2-Lite shape and for a 1.3 TB R1 shape, JVM start included); the
    // limit is generous all the same: 2 minutes, plus 1 s per GiB of model files for slow or remote storage (a
    // 400 GB R1: ~8 minutes). -Djseek.preflight.timeoutSeconds sets a fixed limit instead (the fuzz test does).
    private static final long BASE_TIMEOUT_SECONDS = 120;
    private static final long GIB = 1L << 30;
    // llama.cpp's split files: NAME-00001-of-00009.gguf, loaded from the first
    private static final Pattern SPLIT = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");
    // ggml_abort and GGML_ASSERT print "path/file.c:123: message" before abort()
    // what native/shim's abort handler puts before ggml's message
    private static final String ABORT_PREFIX = "jseek: llama.cpp stopped the process: ";
    private static final Pattern NATIVE_ABORT_LINE = Pattern.compile(".*\\.(c|cpp|h):\\d+: .*");

    private Preflight() {
    }

    static boolean enabledForProcess() {
        String setting = System.getProperty("jseek.preflight", System.getenv("JSEEK_PREFLIGHT"));
        return setting == null || !setting.equalsIgnoreCase("off");
    }

    static void check(Path model, Backend backend) {
        if (!enabledForProcess()) {
            return;
        }
        Path marker;
        try {
            marker = marker(model, backend);
            if (Files.exists(marker)) {
                return;
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "pre-flight skipped: cannot read " + model + " (" + e.getMessage() + ")");
            return;
        }
        Optional<Outcome> outcome = runChild(model, backend, true);
        if (outcome.isEmpty()) {
            return;
        }
        switch (outcome.get()) {
            case Outcome.Passed passed -> {
                LOG.log(Level.DEBUG, () -> "pre-flight of " + model + " passed in " + passed.took().toMillis()
                        + " ms; the child's peak RSS was "
                        + (passed.peakRssBytes() < 0 ? "not measured" : passed.peakRssBytes() / (1 << 20) + " MiB"));
                remember(marker);
            }
            case Outcome.Refused refused -> {
                // a clean failure: the load in this process fails the same way, with llama.cpp's reason
            }
            case Outcome.Crashed crashed -> throw new ModelLoadException("llama.cpp crashed while test-loading " + model
                    + " in a separate process (" + crashed.how() + (crashed.lastWords().isEmpty() ? "" : ": " + crashed.lastWords())
                    + "); the file is damaged or does not match its metadata, so jseek did not load it here.");
        }
    }

    sealed interface Outcome {
        /** @param peakRssBytes the child's peak resident memory (VmHWM), -1 where the OS does not tell */
        record Passed(Duration took, long peakRssBytes) implements Outcome {
        }

        record Refused() implements Outcome {
        }

        record Crashed(String how, String lastWords) implements Outcome {
        }
    }

    /** The child's main class as this process has it: on the class path, or in module dev.jseek on the module path. */
    private static List<String> childMain(String classPath) {
        Module module = PreflightChild.class.getModule();
        String modulePath = System.getProperty("jdk.module.path", "");
        if (!module.isNamed() || modulePath.isEmpty()) {
            return List.of("-cp", classPath, PreflightChild.class.getName());
        }
        List<String> args = new ArrayList<>(List.of("--enable-native-access=" + module.getName() + ",dev.jseek.bindings",
                "--module-path", modulePath));
        if (!classPath.isEmpty()) {
            args.addAll(List.of("-cp", classPath));
        }
        args.addAll(List.of("-m", module.getName() + "/" + PreflightChild.class.getName()));
        return args;
    }

    /** Empty when no child could be started (then the load goes ahead unguarded, with a warning in the log). */
    static Optional<Outcome> runChild(Path model, Backend backend, boolean javaChecks) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String classPath = System.getProperty("java.class.path", "");
        if (classPath.isEmpty() && System.getProperty("jdk.module.path", "").isEmpty() || !Files.isExecutable(java)) {
            LOG.log(Level.WARNING, "pre-flight skipped: no java launcher or class path to start a child with");
            return Optional.empty();
        }
        // the serial GC with a small young generation, as cli/launcher.sh: ~40 MiB less resident than the default G1
        List<String> command = new ArrayList<>(List.of(java.toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+SuppressFatalErrorMessage", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-Xmn8m", "-Xmx256m", "-Djseek.native.dir=" + backend.libraryDir(), "-Djseek.preflight=off"));
        command.addAll(childMain(classPath));
        if (!javaChecks) {
            command.add("--no-java-checks");
        }
        command.add(model.toString());
        Path log = null;
        try {
            log = Files.createTempFile("jseek-preflight", ".log");
            long start = System.nanoTime();
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            long timeout = timeoutSeconds(model);
            if (!child.waitFor(timeout, TimeUnit.SECONDS)) {
                child.destroyForcibly().waitFor();
                return Optional.of(new Outcome.Crashed("it hung: no answer in " + timeout + " s", ""));
            }
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            int code = child.exitValue();
            if (code == EXIT_LOAD_FAILED) {
                return Optional.of(new Outcome.Refused());
            }
            List<String> output = Files.readAllLines(log, StandardCharsets.UTF_8);
            if (code == EXIT_OK) {
                return Optional.of(new Outcome.Passed(took, peakRss(output)));
            }
            return Optional.of(new Outcome.Crashed(describe(code), lastWords(output)));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "pre-flight skipped: cannot start a child JVM (" + e.getMessage() + ")");
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelLoadException("Loading " + model + " was interrupted.");
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        }
    }

    /** How long the child may take: {@value #BASE_TIMEOUT_SECONDS} s plus 1 s per GiB of the model's files. */
    static long timeoutSeconds(Path model) throws IOException {
        Long fixed = Long.getLong("jseek.preflight.timeoutSeconds");
        return fixed != null ? fixed : BASE_TIMEOUT_SECONDS + modelBytes(model) / GIB;
    }

    /** The file's size, or for the first of llama.cpp's split files the size of all the parts there are. */
    static long modelBytes(Path model) throws IOException {
        Matcher split = SPLIT.matcher(model.getFileName().toString());
        if (!split.matches()) {
            return Files.size(model);
        }
        long total = 0;
        int parts = Integer.parseInt(split.group(3));
        for (int i = 1; i <= parts; i++) {
            Path part = model.resolveSibling(String.format("%s-%05d-of-%s.gguf", split.group(1), i, split.group(3)));
            total += Files.exists(part) ? Files.size(part) : 0;
        }
        return total;
    }

    private static String describe(int code) {
        return switch (code) {
            case 134 -> "it aborted";
            case 136 -> "arithmetic fault";
            case 137 -> "it was killed, perhaps for lack of memory";
            case 139 -> "segmentation fault";
            default -> "exit code " + code;
        };
    }

    /** The child's report of its peak RSS ({@link PreflightChild}), or -1. */
    static long peakRss(List<String> output) {
        for (String line : output) {
            if (line.startsWith(PEAK_RSS)) {
                return Long.parseLong(line.substring(PEAK_RSS.length()).strip());
            }
        }
        return -1;
    }

    /** The native abort message if there is one, else the child's last line. */
    static String lastWords(List<String> output) {
        for (String line : output) {
            if (NATIVE_ABORT_LINE.matcher(line).matches()) {
                return line.replace(ABORT_PREFIX, "").strip();
            }
        }
        for (int i = output.size() - 1; i >= 0; i--) {
            if (!output.get(i).isBlank()) {
                return output.get(i).strip();
            }
        }
        return "";
    }

    /** The file whose presence says this model file passed with this library build. */
    static Path marker(Path model, Backend backend) throws IOException {
        return NativeLibraries.cacheRoot().resolve("preflight").resolve(key(model, backend));
    }

    private static String key(Path model, Backend backend) throws IOException {
        Path real = model.toRealPath();
        String identity = real + "\n" + Files.size(real) + "\n" + Files.getLastModifiedTime(real).toMillis() + "\n"
                + backend.libraryDir().toAbsolutePath();
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(identity.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is in every JDK", e);
        }
    }

    private static void remember(Path marker) {
        try {
            Files.createDirectories(marker.getParent());
            Files.writeString(marker, "");
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "cannot remember the pre-flight in " + marker + ": " + e.getMessage());
        }
    }
}
