package dev.jseek;

import dev.jseek.internal.NativeLibraries;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Loads a model file this machine has not loaded before in a child JVM ({@link PreflightChild}): load on the CPU,
 * create a context, decode one token. A file whose defects slip past jseek's Java checks and make llama.cpp abort
 * (GGML_ASSERT, a division by zero) then ends the child, and this process gets a {@link ModelLoadException} naming
 * the file and llama.cpp's last words. A file that passed is remembered by path, size, modification time and
 * library build, under the cache's {@code preflight/} directory, so the cost (a JVM start and a load) is paid once.
 * {@code JSEEK_PREFLIGHT=off} or {@code -Djseek.preflight=off} turns it off for the whole process.
 */
final class Preflight {
    private static final System.Logger LOG = System.getLogger("dev.jseek.preflight");
    // child exit codes: clean refusal (the in-process load will say why) and success
    static final int EXIT_OK = 0;
    static final int EXIT_LOAD_FAILED = 3;
    // a load that takes longer is treated as a hang; -Djseek.preflight.timeoutSeconds changes it (the fuzz test does)
    private static final long TIMEOUT_SECONDS = Long.getLong("jseek.preflight.timeoutSeconds", 1800);
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
            marker = NativeLibraries.cacheRoot().resolve("preflight").resolve(key(model, backend));
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
            case Outcome.Passed passed -> remember(marker);
            case Outcome.Refused refused -> {
                // a clean failure: the load in this process fails the same way, with llama.cpp's reason
            }
            case Outcome.Crashed crashed -> throw new ModelLoadException("llama.cpp crashed while test-loading " + model
                    + " in a separate process (" + crashed.how() + (crashed.lastWords().isEmpty() ? "" : ": " + crashed.lastWords())
                    + "); the file is damaged or does not match its metadata, so jseek did not load it here.");
        }
    }

    sealed interface Outcome {
        record Passed() implements Outcome {
        }

        record Refused() implements Outcome {
        }

        record Crashed(String how, String lastWords) implements Outcome {
        }
    }

    /** Empty when no child could be started (then the load goes ahead unguarded, with a warning in the log). */
    static Optional<Outcome> runChild(Path model, Backend backend, boolean javaChecks) {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        String classPath = System.getProperty("java.class.path", "");
        if (classPath.isEmpty() || !Files.isExecutable(java)) {
            LOG.log(Level.WARNING, "pre-flight skipped: no java launcher or class path to start a child with");
            return Optional.empty();
        }
        List<String> command = new ArrayList<>(List.of(java.toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+SuppressFatalErrorMessage", "-XX:TieredStopAtLevel=1",
                "-Xmx256m", "-Djseek.native.dir=" + backend.libraryDir(), "-Djseek.preflight=off",
                "-cp", classPath, PreflightChild.class.getName()));
        if (!javaChecks) {
            command.add("--no-java-checks");
        }
        command.add(model.toString());
        Path log = null;
        try {
            log = Files.createTempFile("jseek-preflight", ".log");
            Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                child.destroyForcibly().waitFor();
                return Optional.of(new Outcome.Crashed("it hung: no answer in " + TIMEOUT_SECONDS + " s", ""));
            }
            int code = child.exitValue();
            if (code == EXIT_OK) {
                return Optional.of(new Outcome.Passed());
            }
            if (code == EXIT_LOAD_FAILED) {
                return Optional.of(new Outcome.Refused());
            }
            List<String> output = Files.readAllLines(log, StandardCharsets.UTF_8);
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

    private static String describe(int code) {
        return switch (code) {
            case 134 -> "it aborted";
            case 136 -> "arithmetic fault";
            case 137 -> "it was killed, perhaps for lack of memory";
            case 139 -> "segmentation fault";
            default -> "exit code " + code;
        };
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
