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
