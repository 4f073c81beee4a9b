package dev.jseek.internal;

import dev.jseek.Backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NativeLibrariesTest {

    @Test
    void theErrorListsEveryPlaceTriedAndWhatToDo(@TempDir Path empty) {
        List<NativeLibraries.Candidate> candidates = List.of(
                new NativeLibraries.Candidate("-Djseek.native.dir=", empty.resolve("a")),
                new NativeLibraries.Candidate("JSEEK_NATIVE_DIR=", empty.resolve("b")),
                new NativeLibraries.Candidate("java.library.path", empty));
        NativeLibraries.LoadFailure e = assertThrows(NativeLibraries.LoadFailure.class, () -> NativeLibraries.loadFirst(candidates));
        for (NativeLibraries.Candidate c : candidates) {
            assertTrue(e.getMessage().contains(c.origin() + " " + c.dir()), e.getMessage());
        }
        assertTrue(e.getMessage().contains("native/build.sh") && e.getMessage().contains("dev.jseek:jseek-natives, classifier "
                + NativeLibraries.platform()), e.getMessage());
    }

    /** build.sh finds the cache through $HOME; the JVM must too, even when user.home says otherwise (sudo, CI users). */
    @Test
    void theCacheFollowsHomeAsTheShellDoesNotUserHome(@TempDir Path dir) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-Duser.home=" + dir.resolve("user-home"),
                "-cp", System.getProperty("java.class.path"), PrintCacheRoot.class.getName());
        pb.environment().remove("JSEEK_CACHE");
        pb.environment().remove("XDG_CACHE_HOME");
        pb.environment().put("HOME", dir.resolve("shell-home").toString());
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor(), out);
        // before: <user-home>/.cache/jseek, where build.sh never put the libraries
        assertEquals(dir.resolve("shell-home").resolve(".cache").resolve("jseek").toString(), out);
    }

    /** A developer's -Djseek.native.dir comes before a natives jar on the class path, which is then not even extracted. */
    @Test
    void theNativeDirPropertyComesBeforeANativesJar(@TempDir Path dir) throws Exception {
        Path real = Backend.get().libraryDir();
        Path jar = NativesJarTest.writeJar(dir.resolve("natives.jar"), NativeLibraries.platform(), NativesJarTest.realLibraries(), Map.of());
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "--enable-native-access=ALL-UNNAMED", "-D" + NativeLibraries.PROPERTY + "=" + real,
                "-cp", System.getProperty("java.class.path") + File.pathSeparator + jar, PrintLibraryDir.class.getName());
        pb.environment().remove(NativeLibraries.ENV);
        pb.environment().put("JSEEK_CACHE", dir.resolve("cache").toString());
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor(), out);
        assertEquals(real.toString(), out.lines().toList().getLast(), out);
        assertFalse(Files.exists(dir.resolve("cache/natives")), "the natives jar must not be extracted");
    }

    @Test
    void theFirstDirectoryWithTheLibrariesWins(@TempDir Path empty) {
        Path real = Backend.get().libraryDir();
        Path chosen = NativeLibraries.loadFirst(List.of(
                new NativeLibraries.Candidate("JSEEK_NATIVE_DIR=", empty),
                new NativeLibraries.Candidate("native cache", real)));
        assertEquals(real, chosen);
    }

    @Test
    void cacheEntriesAreMatchedByPinnedVersionAndPlatform() {
        String prefix = NativeLibraries.entryPrefix();
        assertTrue(prefix.startsWith("llama.cpp-" + NativeLibraries.pinnedVersion() + "-"), prefix);
        assertTrue(Backend.get().libraryDir().getFileName().toString().startsWith(prefix)
                || System.getProperty(NativeLibraries.PROPERTY) != null || System.getenv(NativeLibraries.ENV) != null,
                "the build this test runs on should come from the cache: " + Backend.get().libraryDir());
    }

    @Test
    void aCudaBuildComesAfterTheCpuBuildWhereNoNvidiaDriverIs() {
        boolean driver = Files.exists(Path.of("/dev/nvidiactl"));
        String prefix = "llama.cpp-v0.5.0-linux-x86_64-";
        assertEquals(1, NativeLibraries.preference(Path.of(prefix + "cpu+rpc-f8cb76d8")));
        assertEquals(driver ? 0 : 3,
                NativeLibraries.preference(Path.of(prefix + "cpu+rpc+cuda-be9ad938")));
        assertEquals(0, NativeLibraries.preference(Path.of("llama.cpp-v0.5.0-darwin-arm64-cpu+rpc+metal-1")));
        // prebuilt.sh's entries rank as the compiled ones do
        assertEquals(driver ? 0 : 3,
                NativeLibraries.preference(Path.of(prefix + "cpu+rpc+cuda-f8cb76d8-prebuilt-1a2b3c4d")));
        assertEquals(NativeLibraries.gpuPresent("vulkan") ? 0 : 3,
                NativeLibraries.preference(Path.of(prefix + "cpu+rpc+vulkan-f8cb76d8-prebuilt-1a2b3c4d")));
        // the prebuilt CPU set (no OpenMP, RPC or tools) after a compiled CPU build, a GPU module on it as any other
        assertEquals(2, NativeLibraries.preference(Path.of(prefix + "cpu-prebuilt-e7ad351b")));
        assertEquals(NativeLibraries.gpuPresent("vulkan") ? 0 : 3,
                NativeLibraries.preference(Path.of(prefix + "cpu+vulkan-prebuilt-e7ad351b-prebuilt-6d2aa6c4")));
    }
}
