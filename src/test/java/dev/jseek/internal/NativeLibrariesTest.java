package dev.jseek.internal;

import dev.jseek.Backend;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
        assertTrue(e.getMessage().contains("native/build.sh"), e.getMessage());
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
}
