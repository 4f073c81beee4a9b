package dev.jseek.cli;

import com.sun.net.httpserver.HttpServer;
import dev.jseek.models.TinyDeepSeek;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PullCommandTest {
    private static final Path MODEL = DemoModel.ensure(Path.of(System.getProperty("jseek.test.work", "target/test-work")),
            TinyDeepSeek.Config.defaults());

    private static String[] jseek(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void pullsAModelFromAUrlWithProgressAndItLoads(@TempDir Path dir) throws Exception {
        byte[] bytes = Files.readAllBytes(MODEL);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/tiny.gguf", ex -> {
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/tiny.gguf";
            String[] r = jseek("pull", url, "--dir", dir.toString());
            assertEquals("0", r[0], r[2]);
            Path pulled = Path.of(r[1].strip());
            assertArrayEquals(bytes, Files.readAllBytes(pulled));
            assertTrue(r[2].contains("100%"), r[2]);
            assertTrue(r[2].contains("checked against nothing (no checksum known)"), r[2]);
            String[] wrong = jseek("pull", url, "--dir", dir.resolve("again").toString(), "--sha256", "0".repeat(64));
            assertEquals(String.valueOf(ExitCodes.FAILURE), wrong[0]);
            assertTrue(wrong[2].contains("is corrupt"), wrong[2]);
            assertEquals("0", jseek("run", "-m", pulled.toString(), "-n", "4", "--preset", "greedy", "hi")[0]);
        } finally {
            server.stop(0);
        }
    }

    @Test
    void unknownNamesAreUsageErrorsAndTheCatalogIsListed() {
        String[] r = jseek("pull", "no-such-model");
        assertEquals(String.valueOf(ExitCodes.USAGE), r[0]);
        assertTrue(r[2].contains("jseek models"), r[2]);
        String[] list = jseek("models");
        assertEquals("0", list[0]);
        assertTrue(list[1].contains("r1-distill-qwen-7b") && list[1].contains("not R1 itself") && list[1].contains("v2-lite-chat"), list[1]);
    }

    /** A URL must name the file it downloads: "https://host/" used to end in a NullPointerException. */
    @Test
    void aUrlThatNamesNoFileIsOneLineAndAUsageError(@TempDir Path dir) {
        for (String url : new String[] {"https://example.org/", "https://example.org", "http:///model.gguf", "https://exa mple.org/x.gguf"}) {
            String[] r = jseek("pull", url, "--dir", dir.toString());
            assertEquals(String.valueOf(ExitCodes.USAGE), r[0], url + ": " + r[2]);
            assertEquals(1, r[2].strip().lines().count(), r[2]);
            assertTrue(r[2].startsWith("jseek: ") && !r[2].contains("Exception"), r[2]);
        }
        assertTrue(jseek("pull", "https://example.org/", "--dir", dir.toString())[2].contains("names no file"));
    }

    /** Progress is drawn live when stderr is a terminal, even with stdout redirected (`jseek pull URL > path.txt`). */
    @Test
    void progressIsALiveBarWhenStderrIsATerminalEvenWithStdoutRedirected(@TempDir Path dir) throws Exception {
        byte[] bytes = Files.readAllBytes(MODEL);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/tiny.gguf", ex -> {
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        Path stdout = dir.resolve("path.txt");
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/tiny.gguf";
        try (PseudoTerminal t = PseudoTerminal.start("xterm-256color", java.util.List.of("pull", url, "--dir", dir.toString()), stdout)) {
            java.time.Duration wait = java.time.Duration.ofSeconds(60);
            t.await("checked against", 0, wait);
            assertEquals(0, t.exitCode(wait), t.screen());
            assertTrue(t.screen().matches("(?s).*tiny\\.gguf +100% *\\[.*"), "a progress bar, not plain lines: " + t.screen());
            assertTrue(!t.screen().contains("tiny.gguf: 100%"), t.screen());
        } finally {
            server.stop(0);
        }
        assertEquals(dir.resolve("tiny.gguf").toString(), Files.readString(stdout).strip());
    }
}
