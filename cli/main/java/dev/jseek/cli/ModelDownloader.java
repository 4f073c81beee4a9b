package dev.jseek.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Downloads a model file over HTTP(S): into {@code NAME.partial}, resumed with a Range request after an
 * interruption, checked against a SHA-256 (the catalog's, else the server's {@code X-Linked-ETag}/{@code ETag}
 * when that is one, as on Hugging Face), then moved into place. A file that fails its check is deleted.
 */
public final class ModelDownloader {
    private static final Pattern SHA256 = Pattern.compile("\"?([0-9a-fA-F]{64})\"?");

    /** Told the bytes done and the total (-1 if the server does not say), from the downloading thread. */
    @FunctionalInterface
    public interface Progress {
        void update(long done, long total);
    }

    /** What a finished download was checked against. */
    public record Outcome(Path file, long bytes, String sha256, String checkedAgainst) {
    }

    private final HttpClient http;

    public ModelDownloader() {
        this(HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(30)).build());
    }

    ModelDownloader(HttpClient http) {
        this.http = http;
    }

    /**
     * Downloads {@code url} to {@code target} unless a finished file is already there.
     *
     * @param expectedSha256 the file's SHA-256, or null to use the server's
     */
    public Outcome download(URI url, Path target, String expectedSha256, Progress progress) throws IOException, InterruptedException {
        Path partial = target.resolveSibling(target.getFileName() + ".partial");
        Files.createDirectories(target.toAbsolutePath().getParent());
        if (Files.exists(target)) {
            return new Outcome(target, Files.size(target), null, "already downloaded (not checked again)");
        }
        long have = Files.exists(partial) ? Files.size(partial) : 0;
        HttpRequest.Builder request = HttpRequest.newBuilder(url).GET();
        if (have > 0) {
            request.header("Range", "bytes=" + have + "-");
        }
        HttpResponse<InputStream> response;
        try {
            response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw NetworkFailure.explain("Cannot download " + url, url, e);
        }
        int status = response.statusCode();
        if (status == 416 && have > 0) {
            response.body().close();
            have = 0; // the partial file is not a prefix of this file any more: start over
            Files.deleteIfExists(partial);
            return download(url, target, expectedSha256, progress);
        }
        if (status != 200 && status != 206) {
            response.body().close();
            throw new IOException("Downloading " + url + " failed: the server answered HTTP " + status
                    + (status == 404 ? " (no such file; check the name or URL)" : "") + ".");
        }
        boolean resumed = status == 206;
        if (!resumed) {
            have = 0; // the server ignored the Range request: start from the beginning
        }
        long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
        long total = length < 0 ? -1 : have + length;
        Optional<String> serverSha = serverSha256(response);
        try (InputStream in = response.body();
             OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE,
                     resumed ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            byte[] buffer = new byte[1 << 16];
            long done = have;
            progress.update(done, total);
            for (int n; (n = read(in, buffer, url)) > 0; ) {
                out.write(buffer, 0, n);
                done += n;
                progress.update(done, total);
            }
            if (total >= 0 && done != total) {
                throw new IOException("The download of " + url + " stopped at " + done + " of " + total
                        + " bytes; run the same command again to resume.");
            }
        }
        String expected = expectedSha256 != null ? expectedSha256.toLowerCase(Locale.ROOT) : serverSha.orElse(null);
        String actual = sha256(partial);
        if (expected != null && !expected.equals(actual)) {
            Files.delete(partial);
            throw new IOException("The download of " + url + " is corrupt: its SHA-256 is " + actual + ", expected " + expected
                    + "; it was deleted, run the command again.");
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        String source = expectedSha256 != null ? "the SHA-256 given with --sha256" : expected != null ? "the server's SHA-256" : "nothing (no checksum known)";
        return new Outcome(target, Files.size(target), actual, source);
    }

    /** A read of the body: a connection lost mid-file is the network's failure, not the disk's. */
    private static int read(InputStream in, byte[] buffer, URI url) throws IOException {
        try {
            return in.read(buffer);
        } catch (IOException e) {
            throw NetworkFailure.explain("The download of " + url + " was interrupted", url, e);
        }
    }

    /**
     * The SHA-256 the server vouches for, if it sends one. Hugging Face answers a {@code resolve} URL with a redirect
     * to its CDN that carries the LFS object's SHA-256 as {@code X-Linked-ETag}; the CDN's own response does not
     * (its ETag, if any, is not the file's SHA-256). So the whole redirect chain is searched, an X-Linked-ETag first,
     * then an ETag that is a SHA-256 (64 hex digits; a 32-digit MD5 or a git SHA-1 never counts).
     */
    static Optional<String> serverSha256(HttpResponse<?> response) {
        for (String header : new String[] {"X-Linked-ETag", "ETag"}) {
            for (HttpResponse<?> r = response; r != null; r = r.previousResponse().orElse(null)) {
                Optional<String> value = r.headers().firstValue(header).map(v -> v.strip().replaceFirst("^W/", ""));
                if (value.isPresent() && SHA256.matcher(value.get()).matches()) {
                    return Optional.of(value.get().replace("\"", "").toLowerCase(Locale.ROOT));
                }
            }
        }
        return Optional.empty();
    }

    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
