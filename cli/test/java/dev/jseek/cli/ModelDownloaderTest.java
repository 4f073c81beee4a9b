package dev.jseek.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.jseek.models.Catalog;
import dev.jseek.models.CatalogEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The real download code against an HTTP server on loopback that can cut connections, resume and lie. */
class ModelDownloaderTest {
    private static final byte[] FILE = new byte[3_000_000];
    private static final String SHA;

    static {
        new Random(1).nextBytes(FILE);
        try {
            SHA = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(FILE));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private HttpServer server;
    /** Bytes to send before cutting the connection, once; -1 = never cut. */
    private final AtomicInteger cutAfter = new AtomicInteger(-1);
    private volatile String etag = "\"" + SHA + "\"";
    private final List<String> ranges = new CopyOnWriteArrayList<>();

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/model.gguf", this::serve);
        // Hugging Face's way: the resolve URL redirects to a CDN, and only the redirect carries the SHA-256
        server.createContext("/resolve/model.gguf", ex -> {
            ex.getResponseHeaders().add("X-Linked-ETag", etag);
            ex.getResponseHeaders().add("ETag", "\"1b7e0bd8e5c0c3c4b2a4f3e0e8a7f1c2d3e4f5a6\"");
            ex.getResponseHeaders().add("Location", "/cdn/model.gguf");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        server.createContext("/cdn/model.gguf", ex -> {
            ex.getResponseHeaders().add("ETag", "\"0123456789abcdef0123456789abcdef\""); // an MD5-like ETag: not a SHA-256
            ex.sendResponseHeaders(200, FILE.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(FILE);
            }
        });
        server.createContext("/missing.gguf", ex -> {
            ex.sendResponseHeaders(404, -1);
            ex.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private void serve(HttpExchange ex) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        ranges.add(String.valueOf(range));
        int from = range == null ? 0 : Integer.parseInt(range.replaceAll("bytes=(\\d+)-", "$1"));
        ex.getResponseHeaders().add("X-Linked-ETag", etag);
        if (range != null) {
            ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (FILE.length - 1) + "/" + FILE.length);
        }
        ex.sendResponseHeaders(range == null ? 200 : 206, FILE.length - from);
        try (OutputStream out = ex.getResponseBody()) {
            int cut = cutAfter.getAndSet(-1);
            int end = cut >= 0 ? Math.min(FILE.length, from + cut) : FILE.length;
            out.write(FILE, from, end - from);
            if (cut >= 0) {
                out.flush();
                ex.getHttpContext().getServer(); // keep the exchange referenced
                throw new IOException("connection cut by the test");
            }
        }
    }

    private URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    @Test
    void downloadsAndChecksAgainstTheServersSha256() throws Exception {
        long[] last = {0};
        ModelDownloader.Outcome o = new ModelDownloader().download(url("/model.gguf"), dir.resolve("m.gguf"), null,
                (done, total) -> last[0] = done);
        assertArrayEquals(FILE, Files.readAllBytes(o.file()));
        assertEquals(SHA, o.sha256());
        assertEquals("the server's SHA-256", o.checkedAgainst());
        assertEquals(FILE.length, last[0]);
    }

    @Test
    void anInterruptedDownloadResumesWhereItStopped() throws Exception {
        cutAfter.set(1_000_000);
        Path target = dir.resolve("m.gguf");
        ModelDownloader downloader = new ModelDownloader();
        assertThrows(IOException.class, () -> downloader.download(url("/model.gguf"), target, null, (d, t) -> { }));
        assertFalse(Files.exists(target));
        long partial = Files.size(dir.resolve("m.gguf.partial"));
        assertTrue(partial > 0 && partial < FILE.length, "partial: " + partial);
        ModelDownloader.Outcome o = downloader.download(url("/model.gguf"), target, SHA, (d, t) -> { });
        assertEquals("bytes=" + partial + "-", ranges.getLast(), "the second request asked for the rest only");
        assertArrayEquals(FILE, Files.readAllBytes(o.file()));
        assertEquals("the SHA-256 given with --sha256", o.checkedAgainst());
    }

    @Test
    void aCorruptDownloadIsDeletedAndSaysSo() throws Exception {
        etag = "\"" + "0".repeat(64) + "\"";
        Path target = dir.resolve("m.gguf");
        IOException e = assertThrows(IOException.class, () -> new ModelDownloader().download(url("/model.gguf"), target, null, (d, t) -> { }));
        assertTrue(e.getMessage().contains("is corrupt"), e.getMessage());
        assertFalse(Files.exists(target));
        assertFalse(Files.exists(dir.resolve("m.gguf.partial")));
    }

    @Test
    void theSha256OnAHuggingFaceStyleRedirectIsTheOneChecked() throws Exception {
        ModelDownloader.Outcome o = new ModelDownloader().download(url("/resolve/model.gguf"), dir.resolve("m.gguf"), null, (d, t) -> { });
        assertArrayEquals(FILE, Files.readAllBytes(o.file()));
        assertEquals("the server's SHA-256", o.checkedAgainst());
        assertEquals(SHA, o.sha256());

        etag = "\"" + "0".repeat(64) + "\"";
        Path other = dir.resolve("other.gguf");
        IOException e = assertThrows(IOException.class,
                () -> new ModelDownloader().download(url("/resolve/model.gguf"), other, null, (d, t) -> { }));
        assertTrue(e.getMessage().contains("is corrupt") && e.getMessage().contains("0".repeat(64)), e.getMessage());
        assertFalse(Files.exists(other));
    }

    @Test
    void aMissingFileIsAClearError() {
        IOException e = assertThrows(IOException.class,
                () -> new ModelDownloader().download(url("/missing.gguf"), dir.resolve("x.gguf"), null, (d, t) -> { }));
        assertTrue(e.getMessage().contains("HTTP 404"), e.getMessage());
    }

    @Test
    void catalogNamesAreUniqueAndSplitFilesAreInOrder() {
        assertEquals(Catalog.entries().size(), Catalog.entries().stream().map(CatalogEntry::name).distinct().count());
        CatalogEntry r1 = Catalog.find("r1-iq1-s").orElseThrow();
        assertEquals(3, r1.urls().size());
        assertTrue(r1.urls().getFirst().endsWith("-00001-of-00003.gguf"));
        assertTrue(Catalog.find("R1-Distill-Qwen-7B").orElseThrow().kind().contains("not R1 itself"));
    }
}
