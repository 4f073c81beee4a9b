package dev.jseek.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * llama.cpp's libraries from a natives jar on the class path (native/pom.xml): found by their manifest
 * {@code META-INF/jseek/natives/<classifier>/natives.properties}, extracted once into
 * {@code <cache>/natives/<manifest checksum>/}, from where {@link NativeLibraries} loads them like any build.
 * <p>
 * Extraction is safe when processes start at once: each writes and checks its own temporary directory beside the
 * target and renames it into place atomically; a process that loses the race deletes its copy and uses the winner's.
 */
final class NativesJar {
    static final String ROOT = "META-INF/jseek/natives/";
    static final Duration ABANDONED_AFTER = Duration.ofHours(1);

    private final ClassLoader loader;
    private final String dir;
    private final URL manifestUrl;
    private final NativesManifest manifest;

    private NativesJar(ClassLoader loader, String dir, URL manifestUrl, NativesManifest manifest) {
        this.loader = loader;
        this.dir = dir;
        this.manifestUrl = manifestUrl;
        this.manifest = manifest;
    }

    /** The GPU sets a natives jar may hold (native/pom.xml), in the order they are taken when their GPUs are all there. */
    static final List<String> GPU_SETS = List.of("cuda", "vulkan");

    /**
     * The natives for this platform on the class path. A GPU set comes before the CPU set: it holds the whole CPU set
     * too, and whoever put it on the class path asked for it; without its GPU, ggml skips the module and goes on with
     * the CPU, and jseek says why in one line ({@code Backend.unavailableBackends}). Of two GPU sets, the one whose GPU
     * this machine has comes first (CUDA where an NVIDIA driver is, Vulkan where a GPU render node is).
     */
    static Optional<NativesJar> find(ClassLoader loader, String platform) {
        return find(loader, platform, NativeLibraries::gpuPresent);
    }

    /** As {@link #find(ClassLoader, String)}, with the test of whether a GPU set's GPU is here given (tests). */
    static Optional<NativesJar> find(ClassLoader loader, String platform, Predicate<String> gpuPresent) {
        List<String> classifiers = new ArrayList<>();
        GPU_SETS.stream().filter(gpuPresent).forEach(g -> classifiers.add(platform + "-" + g));
        GPU_SETS.stream().filter(gpuPresent.negate()).forEach(g -> classifiers.add(platform + "-" + g));
        classifiers.add(platform);
        for (String classifier : classifiers) {
            String dir = ROOT + classifier + "/";
            URL url = loader.getResource(dir + "natives.properties");
            if (url != null) {
                return Optional.of(new NativesJar(loader, dir, url, NativesManifest.parse(read(url), url.toString())));
            }
        }
        return Optional.empty();
    }

    NativesManifest manifest() {
        return manifest;
    }

    /** Where the manifest was found (the jar, in an error or a report). */
    URL source() {
        return manifestUrl;
    }

    /**
     * Extracts the libraries under {@code nativesRoot} unless a complete copy is there, and returns their directory.
     * The copy is marked as used by this process, and other versions' copies that no process uses are removed
     * ({@link NativesInUse}).
     */
    Path extract(Path nativesRoot) {
        return extract(nativesRoot, () -> { });
    }

    /** As {@link #extract(Path)}; {@code beforeRename} runs between writing the copy and moving it into place (tests). */
    Path extract(Path nativesRoot, Runnable beforeRename) {
        Path ready = extractOrFind(nativesRoot, beforeRename);
        NativesInUse.removeUnused(nativesRoot);
        return ready;
    }

    private Path extractOrFind(Path nativesRoot, Runnable beforeRename) {
        Path target = nativesRoot.resolve(manifest.checksum());
        if (Files.isDirectory(nativesRoot)) {
            NativesInUse.hold(nativesRoot, manifest.checksum()); // before looking: a removal under way ends first
        }
        if (Files.isDirectory(target)) {
            return verified(target);
        }
        Path tmp;
        try {
            Files.createDirectories(nativesRoot);
            NativesInUse.hold(nativesRoot, manifest.checksum());
            deleteAbandonedCopies(nativesRoot);
            tmp = Files.createTempDirectory(nativesRoot, "." + manifest.checksum() + ".");
            readableByAll(tmp);
        } catch (IOException e) {
            throw unwritable(nativesRoot, e);
        }
        try {
            write(tmp);
            beforeRename.run();
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (FileSystemException e) {
                // rename(2) onto a non-empty directory fails: another process put its complete copy there first
                if (!Files.isDirectory(target)) {
                    throw e;
                }
            }
            return verified(target);
        } catch (IOException e) {
            throw unwritable(nativesRoot, e);
        } finally {
            deleteTree(tmp);
        }
    }

    private void write(Path tmp) throws IOException {
        for (Map.Entry<String, NativesManifest.FileEntry> f : manifest.files().entrySet()) {
            String name = f.getKey();
            MessageDigest sha = NativesManifest.digest();
            try (InputStream in = loader.getResourceAsStream(dir + name);
                 OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp.resolve(name)), sha)) {
                if (in == null) {
                    throw corrupt(name + " is missing");
                }
                copy(in, out, name);
            }
            String actual = HexFormat.of().formatHex(sha.digest());
            if (!actual.equals(f.getValue().sha256())) {
                throw corrupt(name + " has sha256 " + actual + ", expected " + f.getValue().sha256());
            }
        }
        for (Map.Entry<String, String> link : manifest.links().entrySet()) {
            Files.createSymbolicLink(tmp.resolve(link.getKey()), Path.of(link.getValue()));
        }
        Files.write(tmp.resolve("natives.properties"), read(manifestUrl));
    }

    /** Copies one library; a failed read is the jar's fault (a damaged zip), a failed write the cache's. */
    private void copy(InputStream in, OutputStream out, String name) throws IOException {
        byte[] buffer = new byte[1 << 16];
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                throw corrupt(name + " cannot be read (" + e.getMessage() + ")");
            }
            if (n < 0) {
                return;
            }
            out.write(buffer, 0, n);
        }
    }

    private static NativeLibraries.LoadFailure unwritable(Path nativesRoot, IOException e) {
        return new NativeLibraries.LoadFailure("Cannot extract jseek's native libraries into " + nativesRoot + " ("
                + (e instanceof AccessDeniedException ? "permission denied" : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
                + "); make it writable or set JSEEK_CACHE to a writable directory.", e);
    }

    private NativeLibraries.LoadFailure corrupt(String what) {
        return new NativeLibraries.LoadFailure("The natives jar with " + manifestUrl + " is corrupt: " + what
                + "; re-download it (delete it from the local Maven repository and build again).");
    }

    /** A copy is used only when every library has its manifest size and every link is there: cheap, every start. */
    private Path verified(Path target) {
        for (Map.Entry<String, NativesManifest.FileEntry> f : manifest.files().entrySet()) {
            Path file = target.resolve(f.getKey());
            if (!sizeIs(file, f.getValue().size())) {
                throw new NativeLibraries.LoadFailure("The extracted native library " + file + " does not match the natives jar "
                        + "(missing or another size); delete " + target + " so that it is extracted again.");
            }
        }
        for (String link : manifest.links().keySet()) {
            if (!Files.exists(target.resolve(link))) {
                throw new NativeLibraries.LoadFailure("The extracted native libraries in " + target + " lack " + link
                        + "; delete " + target + " so that they are extracted again.");
            }
        }
        return target;
    }

    /** A temporary directory is the owner's alone; the extracted libraries are readable by all, as build.sh's are. */
    private static void readableByAll(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: its default permissions stand
        }
    }

    private static boolean sizeIs(Path file, long size) {
        try {
            return Files.isRegularFile(file) && Files.size(file) == size;
        } catch (IOException e) {
            return false;
        }
    }

    private static byte[] read(URL url) {
        try (InputStream in = url.openStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + url, e);
        }
    }

    /**
     * Temporary copies left by a process killed while extracting (30 MB each), and old versions' copies whose removal
     * was cut short ({@link NativesInUse}); an hour is far beyond any extraction.
     */
    private static void deleteAbandonedCopies(Path nativesRoot) throws IOException {
        FileTime abandoned = FileTime.from(Instant.now().minus(ABANDONED_AFTER));
        try (Stream<Path> dirs = Files.list(nativesRoot)) {
            for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith(".") && Files.isDirectory(d)).toList()) {
                if (Files.getLastModifiedTime(d).compareTo(abandoned) < 0) {
                    deleteTree(d);
                }
            }
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a leftover temporary directory is harmless: it is never used, and its name starts with a dot
        }
    }
}
