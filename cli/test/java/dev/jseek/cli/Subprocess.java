package dev.jseek.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * `jseek ARGS` in a JVM of its own, for what a test cannot do in the test JVM: give it its own stdin (surefire
 * talks to the test JVM over that one), send stdout to a file, or turn on the process-wide --verbose log.
 */
final class Subprocess {
    private Subprocess() {
    }

    /** The command line that starts jseek with the test class path. */
    static List<String> command(List<String> args) {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(args);
        return command;
    }

    /** Runs jseek with {@code stdin} as its standard input (null: an empty one) and waits for it. */
    static Outcome run(String stdin, Duration timeout, String... args) throws IOException, InterruptedException {
        return run(null, stdin, timeout, args);
    }

    /** Runs jseek on the llama.cpp libraries in {@code nativeDir} (null: wherever the runtime finds them). */
    static Outcome run(Path nativeDir, String stdin, Duration timeout, String... args) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jseek-subprocess");
        Path in = Files.writeString(dir.resolve("stdin"), stdin == null ? "" : stdin);
        Path out = dir.resolve("stdout");
        Path err = dir.resolve("stderr");
        List<String> command = new ArrayList<>(command(List.of(args)));
        if (nativeDir != null) {
            command.add(1, "-Djseek.native.dir=" + nativeDir);
        }
        Process p = new ProcessBuilder(command).redirectInput(in.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("jseek " + String.join(" ", args) + " did not end within " + timeout + "; stderr:\n"
                    + Files.readString(err, StandardCharsets.UTF_8));
        }
        return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
}
