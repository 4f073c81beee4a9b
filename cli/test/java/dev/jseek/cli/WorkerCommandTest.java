package dev.jseek.cli;

import dev.jseek.TestModels;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two `jseek worker` processes on loopback carry a model; its greedy output is the local one. */
class WorkerCommandTest {
    private static final Path MODEL = TestModels.tiny();

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** `jseek ARGS` in a JVM of its own: a worker, or a client that ggml may end. */
    static List<String> jseekProcess(String... args) {
        return Subprocess.command(List.of(args));
    }

    static Process worker(int port, Path log) throws IOException {
        return new ProcessBuilder(jseekProcess("worker", "--port", String.valueOf(port), "-t", "1"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** What a test does with a worker: given its host:port. */
    interface WithWorker {
        void run(String hostPort) throws Exception;
    }

    /** A worker on a free loopback port (its output in {@code log}) for the length of {@code body}, then killed. */
    static void withWorker(Path log, WithWorker body) throws Exception {
        int port = freePort();
        Process worker = worker(port, log);
        try {
            waitForPort(port);
            body.run("127.0.0.1:" + port);
        } finally {
            worker.destroyForcibly();
            worker.waitFor();
        }
    }

    static void waitForPort(int port) throws InterruptedException {
        for (int i = 0; i < 400; i++) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("no worker on port " + port);
    }


    /** native/shim/jseek_abort.c's promise: the whole of stderr is its one line, no backtrace or anything else. */
    private static final Pattern ABORT_LINE = Pattern.compile(
            "jseek: an RPC worker stopped answering or could not be reached \\([^\\n]+\\); restart it \\(jseek worker\\) and run again\\.\\R");

    private static void assertOnlyTheAbortLine(String stderr) {
        assertTrue(ABORT_LINE.matcher(stderr).matches(), "stderr is exactly the abort handler's one line:\n" + stderr);
    }

    @Test
    void twoWorkersCarryTheModelAndTheOutputIsTheLocalOne(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        int a = freePort();
        int b = freePort();
        Process first = worker(a, dir.resolve("a.log"));
        Process second = worker(b, dir.resolve("b.log"));
        try {
            waitForPort(a);
            waitForPort(b);
            Outcome local = jseek("run", "--raw", "-m", MODEL.toString(), "--temp", "0", "-n", "12", "The", "sea");
            Outcome spread = jseek("run", "--raw", "-m", MODEL.toString(), "--temp", "0", "-n", "12", "-ngl", "-1",
                    "--rpc", "127.0.0.1:" + a + ",127.0.0.1:" + b, "The", "sea");
            assertEquals(0, spread.code(), spread.err());
            assertEquals(local.out(), spread.out());
            String log = java.nio.file.Files.readString(dir.resolve("a.log"));
            assertTrue(log.contains("no authentication"), log);
        } finally {
            first.destroyForcibly();
            second.destroyForcibly();
            first.waitFor();
            second.waitFor();
        }
    }

    @Test
    void aWorkerKilledMidGenerationEndsTheClientWithOneClearLineNotAHang(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        int port = freePort();
        Process worker = worker(port, dir.resolve("worker.log"));
        Process client = null;
        try {
            waitForPort(port);
            List<String> command = jseekProcess("run", "--raw", "-m", MODEL.toString(), "--temp", "0", "-n", "100000", "-ngl", "-1",
                    "--rpc", "127.0.0.1:" + port, "Once", "upon", "a", "time");
            Path out = dir.resolve("client.out");
            Path err = dir.resolve("client.err");
            client = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (java.nio.file.Files.size(out) < 40 && client.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(client.isAlive(), "still generating when the worker is killed: " + java.nio.file.Files.readString(err));
            worker.destroyForcibly().waitFor();
            assertTrue(client.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), "the client must not hang on a dead worker");
            String stderr = java.nio.file.Files.readString(err);
            assertEquals(ExitCodes.RPC_LOST, client.exitValue(), stderr);
            assertOnlyTheAbortLine(stderr);
        } finally {
            worker.destroyForcibly().waitFor();
            if (client != null) {
                client.destroyForcibly().waitFor();
            }
        }
    }

    /**
     * A port that accepts the connection (so jseek's reachability check passes) but is no worker, e.g. a mistyped
     * port of a web server: ggml's RPC client aborts on the first answer; one line on stderr and exit code 5.
     */
    @Test
    void aPortThatIsNoWorkerEndsTheClientWithOneLine(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        try (ServerSocket notAWorker = new ServerSocket(0)) {
            Thread.ofVirtual().start(() -> {
                while (!notAWorker.isClosed()) {
                    try (Socket s = notAWorker.accept()) {
                        s.getOutputStream().write("HTTP/1.0 400 Bad Request\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            Path err = dir.resolve("client.err");
            Process client = new ProcessBuilder(jseekProcess("run", "--raw", "-m", MODEL.toString(), "--temp", "0", "-n", "4",
                    "-ngl", "-1", "--rpc", "127.0.0.1:" + notAWorker.getLocalPort(), "Hello"))
                    .redirectOutput(dir.resolve("client.out").toFile()).redirectError(err.toFile()).start();
            try {
                assertTrue(client.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the client must not hang on a port that is no worker");
                String stderr = java.nio.file.Files.readString(err);
                assertEquals(5, client.exitValue(), stderr);
                assertOnlyTheAbortLine(stderr);
            } finally {
                client.destroyForcibly().waitFor();
            }
        }
    }
}
