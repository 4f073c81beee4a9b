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
}
