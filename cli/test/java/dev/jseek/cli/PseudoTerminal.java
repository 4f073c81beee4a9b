package dev.jseek.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Runs `jseek` in a real pseudo-terminal (util-linux `script` allocates it) so the REPL meets what a user's
 * terminal does: raw-mode line editing, echo, Ctrl-C as SIGINT. Keystrokes go in as bytes; everything the
 * terminal shows comes back, escape codes included.
 */
final class PseudoTerminal implements AutoCloseable {
    private final Process process;
    private final StringBuffer screen = new StringBuffer();
    private final OutputStream keys;

    private PseudoTerminal(Process process) {
        this.process = process;
        this.keys = process.getOutputStream();
        Thread.ofPlatform().daemon().start(() -> pump(process.getInputStream()));
    }

    /** Starts `jseek ARGS` in a 120×40 terminal of the given TERM type. */
    static PseudoTerminal start(String term, List<String> args) throws IOException {
        return start(term, args, null);
    }

    /**
     * Starts `jseek ARGS > stdout` in a 120×40 terminal: stdin and stderr are the terminal, stdout goes to the file
     * (as with `jseek run > out.txt` at a shell prompt); null keeps stdout on the terminal too.
     */
    static PseudoTerminal start(String term, List<String> args, Path stdout) throws IOException {
        List<String> java = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        java.addAll(args);
        String command = "stty cols 120 rows 40; exec " + String.join(" ", java.stream().map(PseudoTerminal::quote).toList())
                + (stdout == null ? "" : " > " + quote(stdout.toString()));
        // A test run started in the background (a shell's `cmd &`) inherits SIGINT ignored, and a JVM started so
        // never sees Ctrl-C: env resets it to the default, as a terminal user's shell would have it.
        ProcessBuilder pb = new ProcessBuilder("env", "--default-signal=INT", "script", "-qfec", command, "/dev/null")
                .redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("TERM", term);
        return new PseudoTerminal(pb.start());
    }

    /**
     * Starts {@code command} in a 120×40 terminal with nothing of this process's environment: {@code env -i} with
     * only {@code environment} (which names the TERM, and a PATH that has {@code stty}); {@code script} itself is
     * started from this process's PATH.
     */
    static PseudoTerminal startIsolated(List<String> command, Map<String, String> environment) throws IOException {
        List<String> argv = new ArrayList<>(List.of("env", "-i", "--default-signal=INT"));
        environment.forEach((name, value) -> argv.add(name + "=" + value));
        argv.addAll(List.of(onPath("script"), "-qfec",
                "stty cols 120 rows 40; exec " + String.join(" ", command.stream().map(PseudoTerminal::quote).toList()), "/dev/null"));
        return new PseudoTerminal(new ProcessBuilder(argv).redirectErrorStream(true).start());
    }

    /** The absolute path of a program on this process's PATH. */
    static String onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, program);
            if (java.nio.file.Files.isExecutable(candidate)) {
                return candidate.toAbsolutePath().toString();
            }
        }
        throw new AssertionError(program + " is not on the PATH of the test JVM");
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private void pump(InputStream in) {
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                screen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    void type(String text) throws IOException {
        keys.write(text.getBytes(StandardCharsets.UTF_8));
        keys.flush();
    }

    /** Waits until the output after {@code from} matches; returns the index after the match. */
    int await(String regex, int from, Duration timeout) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            var m = p.matcher(screen.substring(Math.min(from, screen.length())));
            if (m.find()) {
                return from + m.end();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no /" + regex + "/ within " + timeout + " in:\n" + screen.substring(Math.min(from, screen.length())));
    }

    String screen() {
        return screen.toString();
    }

    int exitCode(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("jseek did not exit; screen:\n" + screen);
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        // script's child (the jseek JVM) would outlive script itself and keep generating
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }
}
