package dev.jseek.cli;

import dev.jseek.TestModels;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PullCommandTest {
    private static final Path MODEL = TestModels.tiny();


    @Test
    void pullsAModelFromAUrlWithProgressAndItLoads(@TempDir Path dir) throws Exception {
        byte[] bytes = Files.readAllBytes(MODEL);
        HttpServer server = serving(bytes);
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/tiny.gguf";
            Outcome r = jseek("pull", url, "--dir", dir.toString());
            assertEquals(0, r.code(), r.err());
            Path pulled = Path.of(r.out().strip());
            assertArrayEquals(bytes, Files.readAllBytes(pulled));
            assertTrue(r.err().contains("100%"), r.err());
            assertTrue(r.err().contains("checked against nothing (no checksum known)"), r.err());
            Outcome wrong = jseek("pull", url, "--dir", dir.resolve("again").toString(), "--sha256", "0".repeat(64));
            assertEquals(ExitCodes.FAILURE, wrong.code());
            assertTrue(wrong.err().contains("is corrupt"), wrong.err());
            assertEquals(0, jseek("run", "-m", pulled.toString(), "-n", "4", "--preset", "greedy", "hi").code());
        } finally {
            server.stop(0);
        }
    }

    /** A server on loopback with {@code bytes} at /tiny.gguf. */
    private static HttpServer serving(byte[] bytes) throws java.io.IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/tiny.gguf", ex -> {
            ex.sendResponseHeaders(200, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        server.start();
        return server;
    }

    @Test
    void unknownNamesAreUsageErrorsAndTheCatalogIsListed() {
        Outcome r = jseek("pull", "no-such-model");
        assertEquals(ExitCodes.USAGE, r.code());
        assertTrue(r.err().contains("jseek models"), r.err());
        Outcome list = jseek("models");
        assertEquals(0, list.code());
        assertTrue(list.out().contains("r1-distill-qwen-7b") && list.out().contains("not R1 itself") && list.out().contains("v2-lite-chat"), list.out());
    }

    /** A URL must name the file it downloads: "https://host/" used to end in a NullPointerException. */
    @Test
    void aUrlThatNamesNoFileIsOneLineAndAUsageError(@TempDir Path dir) {
        for (String url : new String[] {"https://example.org/", "https://example.org", "http:///model.gguf", "https://exa mple.org/x.gguf"}) {
            Outcome r = jseek("pull", url, "--dir", dir.toString());
            assertEquals(ExitCodes.USAGE, r.code(), url + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("jseek: ") && !r.err().contains("Exception"), r.err());
        }
        assertTrue(jseek("pull", "https://example.org/", "--dir", dir.toString()).err().contains("names no file"));
    }

    /**
     * A server that cannot be reached is one sentence naming the host, the cause and what to do: the JDK's own
     * exception said only "java.net.ConnectException" for an unknown host and a refused port alike.
     */
    @Test
    void anUnreachableServerIsASentenceNamingTheHostAndTheCause(@TempDir Path dir) throws Exception {
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort(); // free again once closed: nothing listens there
        }
        assertNetworkFailure(jseek("pull", "http://127.0.0.1:" + closed + "/x.gguf", "--dir", dir.toString()),
                "127.0.0.1:" + closed + " refused the connection");
        // .invalid never resolves (RFC 2606), with or without a network
        assertNetworkFailure(jseek("pull", "https://x.invalid/x.gguf", "--dir", dir.toString()), "the host name x.invalid is unknown");
        // a plain-HTTP server where the URL says https: it reads the TLS hello, answers it with an HTTP line and hangs
        // up. It answers every connection (the client may retry) and reads before it writes, so the client always
        // sees a reply that is not TLS, never a connection closed before its hello, whatever the threads' timing.
        try (java.net.ServerSocket plain = new java.net.ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofVirtual().start(() -> {
                while (!plain.isClosed()) {
                    try (java.net.Socket s = plain.accept()) {
                        s.getInputStream().read(new byte[512]);
                        s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    } catch (java.io.IOException e) {
                        // closed by the test, or the client hung up: the next accept says which
                    }
                }
            });
            int port = plain.getLocalPort();
            assertNetworkFailure(jseek("pull", "https://127.0.0.1:" + port + "/x.gguf", "--dir", dir.toString()),
                    "the TLS handshake with 127.0.0.1:" + port + " failed");
            plain.close();
            server.join();
        }
    }

    private static void assertNetworkFailure(Outcome r, String cause) {
        assertEquals(ExitCodes.FAILURE, r.code(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("jseek: Cannot download ") && r.err().contains(cause), "'" + cause + "' not in: " + r.err());
        assertTrue(!r.err().contains("Exception") && !r.err().contains("java."), r.err());
    }

    /** Progress is drawn live when stderr is a terminal, even with stdout redirected (`jseek pull URL > path.txt`). */
    @Test
    void progressIsALiveBarWhenStderrIsATerminalEvenWithStdoutRedirected(@TempDir Path dir) throws Exception {
        byte[] bytes = Files.readAllBytes(MODEL);
        HttpServer server = serving(bytes);
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
