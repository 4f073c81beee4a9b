package dev.jseek.internal;

import dev.jseek.Backend;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Extraction of a natives jar, on jars made here from two of the real build's libraries (as native/package.sh lays them out). */
class NativesJarTest {
    private static final String PLATFORM = "linux-x86_64";
    private final List<URLClassLoader> loaders = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** libggml-base under its soname with the development name as a link, and libjseek-shim (no soname). */
    static Map<String, byte[]> realLibraries() throws IOException {
        Path build = Backend.get().libraryDir();
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("libggml-base.so.0", Files.readAllBytes(build.resolve("libggml-base.so").toRealPath()));
        files.put("libjseek-shim.so", Files.readAllBytes(build.resolve("libjseek-shim.so")));
        return files;
    }

    @Test
    void extractsOnceAndLaterStartsUseThatCopy(@TempDir Path dir) throws Exception {
        Map<String, byte[]> files = realLibraries();
        NativesJar jar = find(writeJar(dir.resolve("natives.jar"), PLATFORM, files, Map.of()));
        Path root = dir.resolve("cache/natives");

        Path first = jar.extract(root);
        assertEquals(root.resolve(jar.manifest().checksum()), first);
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            assertArrayEquals(f.getValue(), Files.readAllBytes(first.resolve(f.getKey())), f.getKey());
        }
        assertEquals(Path.of("libggml-base.so.0"), Files.readSymbolicLink(first.resolve("libggml-base.so")));
        FileTime written = Files.getLastModifiedTime(first.resolve("libjseek-shim.so"));

        Path second = jar.extract(root, () -> {
            throw new AssertionError("a complete copy must be used, not written again");
        });
        assertEquals(first, second);
        assertEquals(written, Files.getLastModifiedTime(second.resolve("libjseek-shim.so")));
        assertEquals(List.of(first), children(root));
    }

    /** Two starts at once: the one that renames second finds the first's copy in place, uses it and drops its own. */
    @Test
    void twoExtractionsAtOnceEndWithOneCopy(@TempDir Path dir) throws Exception {
        Path jarFile = writeJar(dir.resolve("natives.jar"), PLATFORM, realLibraries(), Map.of());
        Path root = dir.resolve("cache/natives");
        CountDownLatch slowReady = new CountDownLatch(1);
        CountDownLatch fastDone = new CountDownLatch(1);

        CompletableFuture<Path> slow = CompletableFuture.supplyAsync(() -> {
            try {
                return find(jarFile).extract(root, () -> {
                    slowReady.countDown();
                    await(fastDone);
                });
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        });
        await(slowReady); // the slow one has written its whole copy and not renamed it yet
        Path fast = find(jarFile).extract(root);
        fastDone.countDown();

        assertEquals(fast, slow.get());
        assertEquals(List.of(fast), children(root), "the loser's temporary copy must be gone");
        assertArrayEquals(realLibraries().get("libggml-base.so.0"), Files.readAllBytes(fast.resolve("libggml-base.so")));
    }

    /** A process killed while extracting leaves its temporary copy; the next extraction removes it once it is old. */
    @Test
    void anAbandonedTemporaryCopyIsRemovedButARecentOneIsLeftAlone(@TempDir Path dir) throws Exception {
        NativesJar jar = find(writeJar(dir.resolve("natives.jar"), PLATFORM, realLibraries(), Map.of()));
        Path root = dir.resolve("natives");
        Path abandoned = Files.createDirectories(root.resolve("." + jar.manifest().checksum() + ".abandoned"));
        Files.write(abandoned.resolve("libjseek-shim.so"), new byte[100]);
        Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minus(NativesJar.ABANDONED_AFTER).minusSeconds(60)));
        Path recent = Files.createDirectories(root.resolve("." + jar.manifest().checksum() + ".in-progress"));

        Path copy = jar.extract(root);
        assertEquals(List.of(copy, recent).stream().sorted().toList(), children(root).stream().sorted().toList());
    }

    /** An older version's copy, of a process that has ended, as an upgrade leaves it. */
    private static Path oldCopy(Path root, String checksum) throws IOException {
        Path old = Files.createDirectories(root.resolve(checksum));
        Files.copy(Path.of("/bin/sleep"), old.resolve("sleep"));
        old.resolve("sleep").toFile().setExecutable(true);
        return old;
    }

    /** After an upgrade (a new copy extracted), the old version's copy that nothing uses is removed. */
    @Test
    void anOldVersionsCopyIsRemovedAfterAnUpgrade(@TempDir Path dir) throws Exception {
        NativesJar jar = find(writeJar(dir.resolve("natives.jar"), PLATFORM, realLibraries(), Map.of()));
        Path root = dir.resolve("natives");
        Path old = oldCopy(root, "a".repeat(16));
        Path notACopy = Files.createDirectories(root.resolve("kept-not-a-checksum"));

        Path copy = jar.extract(root);
        assertEquals(List.of(copy, notACopy).stream().sorted().toList(), children(root).stream().sorted().toList());
        assertTrue(Files.notExists(old));
    }

    /**
     * A copy that another running process of this code uses (it holds its byte of the lock file) stays, and goes at
     * the first start after that process ends.
     */
    @Test
    void aCopyHeldByAnotherProcessIsKeptUntilItEnds(@TempDir Path dir) throws Exception {
        NativesJar jar = find(writeJar(dir.resolve("natives.jar"), PLATFORM, realLibraries(), Map.of()));
        Path root = Files.createDirectories(dir.resolve("natives"));
        Path old = oldCopy(root, "b".repeat(16));
        Process holder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), HoldNatives.class.getName(), root.toString(), "b".repeat(16))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            assertEquals("held", new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine());
            jar.extract(root);
            assertTrue(Files.isDirectory(old), "in use by " + holder.pid());
        } finally {
            holder.getOutputStream().close(); // its stdin ends: it exits, and the system drops its lock
            assertEquals(0, holder.waitFor());
        }
        jar.extract(root);
        assertTrue(Files.notExists(old));
    }

    /** A process of a version from before the locks is seen by what it maps: its copy stays while it runs. */
    @Test
    void aCopyMappedByARunningProcessIsKept(@TempDir Path dir) throws Exception {
        NativesJar jar = find(writeJar(dir.resolve("natives.jar"), PLATFORM, realLibraries(), Map.of()));
        Path root = Files.createDirectories(dir.resolve("natives"));
        Path old = oldCopy(root, "c".repeat(16));
        Process running = new ProcessBuilder(old.resolve("sleep").toString(), "600").start();
        try {
            jar.extract(root);
            assertTrue(Files.isDirectory(old), "mapped by " + running.pid());
        } finally {
            running.destroyForcibly();
            running.waitFor();
        }
        jar.extract(root);
        assertTrue(Files.notExists(old));
    }

    @Test
    void aTamperedLibraryIsRefusedAndNothingIsLeftBehind(@TempDir Path dir) throws Exception {
        Map<String, byte[]> files = realLibraries();
        byte[] tampered = files.get("libjseek-shim.so").clone();
        tampered[tampered.length / 2] ^= 1;
        Path jarFile = writeJar(dir.resolve("natives.jar"), PLATFORM, files, Map.of("libjseek-shim.so", tampered));
        Path root = dir.resolve("cache/natives");

        var e = assertThrows(NativeLibraries.LoadFailure.class, () -> find(jarFile).extract(root));
        assertTrue(e.getMessage().contains("libjseek-shim.so has sha256 ") && e.getMessage().contains("re-download it")
                && e.getMessage().contains(jarFile.getFileName().toString()), e.getMessage());
        assertEquals(List.of(), children(root));
    }

    @Test
    void aDamagedExtractedCopyIsNotUsed(@TempDir Path dir) throws Exception {
        NativesJar jar = find(writeJar(dir.resolve("natives.jar"), PLATFORM, realLibraries(), Map.of()));
        Path copy = jar.extract(dir.resolve("natives"));
        Files.write(copy.resolve("libggml-base.so.0"), new byte[10]);

        var e = assertThrows(NativeLibraries.LoadFailure.class, () -> jar.extract(dir.resolve("natives")));
        assertTrue(e.getMessage().contains("libggml-base.so.0") && e.getMessage().contains("delete " + copy), e.getMessage());
    }

    @Test
    void anUnwritableCacheNamesTheDirectoryAndJseekCache(@TempDir Path dir) throws Exception {
        NativesJar jar = find(writeJar(dir.resolve("natives.jar"), PLATFORM, realLibraries(), Map.of()));
        Path notADirectory = Files.writeString(dir.resolve("cache"), "a file where the cache should be");

        var e = assertThrows(NativeLibraries.LoadFailure.class, () -> jar.extract(notADirectory.resolve("natives")));
        assertTrue(e.getMessage().contains(notADirectory.resolve("natives").toString()) && e.getMessage().contains("JSEEK_CACHE"),
                e.getMessage());
    }

    @Test
    void aGpuSetIsPreferredToTheCpuSetAndOfTwoTheOneWhoseGpuIsHere(@TempDir Path dir) throws Exception {
        Path cpu = writeJar(dir.resolve("cpu.jar"), PLATFORM, realLibraries(), Map.of());
        Path cuda = writeJar(dir.resolve("cuda.jar"), PLATFORM + "-cuda", realLibraries(), Map.of());
        Path vulkan = writeJar(dir.resolve("vulkan.jar"), PLATFORM + "-vulkan", realLibraries(), Map.of());
        try (URLClassLoader all = loader(cpu, vulkan, cuda); URLClassLoader cpuAndVulkan = loader(cpu, vulkan);
             URLClassLoader cpuOnly = loader(cpu)) {
            // no GPU at all: a GPU set still wins (it runs on the CPU and says why); CUDA before Vulkan
            assertEquals(PLATFORM + "-cuda", classifier(all, g -> false));
            assertEquals(PLATFORM + "-vulkan", classifier(cpuAndVulkan, g -> false));
            // an AMD or Intel GPU: Vulkan, though the CUDA set is there too
            assertEquals(PLATFORM + "-vulkan", classifier(all, "vulkan"::equals));
            // an NVIDIA GPU (which has a render node as well): CUDA
            assertEquals(PLATFORM + "-cuda", classifier(all, g -> true));
            assertEquals(PLATFORM, classifier(cpuOnly, g -> true));
            assertTrue(NativesJar.find(cpuOnly, "darwin-arm64").isEmpty());
        }
    }

    private static URLClassLoader loader(Path... jars) throws IOException {
        URL[] urls = new URL[jars.length];
        for (int i = 0; i < jars.length; i++) {
            urls[i] = jars[i].toUri().toURL();
        }
        return new URLClassLoader(urls, null);
    }

    private static String classifier(ClassLoader loader, java.util.function.Predicate<String> gpuPresent) {
        return NativesJar.find(loader, PLATFORM, gpuPresent).orElseThrow().manifest().classifier();
    }

    @Test
    void aNameLeadingOutOfTheDirectoryIsRefused() {
        byte[] manifest = "sha256.../libx.so=00\nsize.../libx.so=1\n".getBytes();
        var e = assertThrows(NativeLibraries.LoadFailure.class, () -> NativesManifest.parse(manifest, "test.jar"));
        assertTrue(e.getMessage().contains("\"../libx.so\" that is not a plain file name"), e.getMessage());
    }

    /** The manifest lists {@code files}; the jar holds {@code replaced} where given (a tampered jar). */
    static Path writeJar(Path jar, String classifier, Map<String, byte[]> files, Map<String, byte[]> replaced)
            throws IOException {
        StringBuilder manifest = new StringBuilder("classifier=" + classifier + "\nllama.version=v0\nbackends=cpu\n");
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            manifest.append("sha256.").append(f.getKey()).append('=').append(NativesManifest.sha256(f.getValue())).append('\n');
            manifest.append("size.").append(f.getKey()).append('=').append(f.getValue().length).append('\n');
        }
        manifest.append("link.libggml-base.so=libggml-base.so.0\n");
        String prefix = NativesJar.ROOT + classifier + "/";
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out)) {
            zip.putNextEntry(new JarEntry(prefix + "natives.properties"));
            zip.write(manifest.toString().getBytes());
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                zip.putNextEntry(new JarEntry(prefix + f.getKey()));
                zip.write(replaced.getOrDefault(f.getKey(), f.getValue()));
            }
        }
        return jar;
    }

    /** The jar's natives through a class loader of its own, as a fresh process would see them. */
    private NativesJar find(Path jar) throws IOException {
        URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
        loaders.add(loader);
        return NativesJar.find(loader, PLATFORM).orElseThrow();
    }

    @AfterEach
    void closeLoaders() throws IOException {
        for (URLClassLoader loader : loaders) {
            loader.close();
        }
    }

    /** What the directory holds besides the lock file of the copies in use (NativesInUse). */
    private static List<Path> children(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().equals(NativesInUse.LOCK_FILE)).toList();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
