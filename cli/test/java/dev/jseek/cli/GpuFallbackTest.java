package dev.jseek.cli;

import dev.jseek.TestModels;
import dev.jseek.Backend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A build that carries a GPU module this machine cannot use runs on the CPU, says so in one line with llama.cpp's
 * reason, and gives the CPU build's greedy tokens; -ngl with nowhere to offload is a warning. The module here is the
 * CPU build plus a libggml-cuda.so that cannot load, so ggml meets a CUDA module it must skip: the path a real CUDA
 * build takes on a machine without a driver (CudaBuildTest checks that one, where a CUDA build exists).
 */
class GpuFallbackTest {
    private static final Path MODEL = TestModels.tiny();
    private static Path cpuBuild;

    @BeforeAll
    static void build() {
        cpuBuild = Backend.get().libraryDir();
    }

    @Test
    void aGpuModuleThatCannotLoadLeavesTheCpuAndSaysWhy(@TempDir Path dir) throws Exception {
        Path withCuda = Files.createDirectory(dir.resolve("native"));
        try (Stream<Path> files = Files.list(cpuBuild)) {
            for (Path f : files.toList()) {
                Files.createSymbolicLink(withCuda.resolve(f.getFileName()), f);
            }
        }
        Files.writeString(withCuda.resolve("libggml-cuda.so"), "not a shared library");

        Outcome devices = jseek(withCuda, "devices");
        assertEquals(0, devices.code(), devices.err());
        assertTrue(devices.out().contains("CUDA is built but unavailable here ("), devices.out());
        assertTrue(devices.out().contains("); running on the CPU."), devices.out());

        String[] greedy = {"run", "--raw", "-m", MODEL.toString(), "--temp", "0", "-n", "16", "--no-preflight", "The quick brown fox"};
        Outcome cpu = jseek(cpuBuild, greedy);
        List<String> offloaded = new ArrayList<>(List.of(greedy));
        offloaded.addAll(1, List.of("-ngl", "99"));
        Outcome cuda = jseek(withCuda, offloaded.toArray(String[]::new));
        assertEquals(0, cuda.code(), cuda.err());
        assertFalse(cpu.out().isBlank(), cpu.err());
        assertEquals(cpu.out(), cuda.out(), "the same greedy tokens as the CPU build");
        List<String> notices = cuda.err().lines().filter(l -> l.startsWith("jseek: CUDA is built but unavailable here (")).toList();
        assertEquals(1, notices.size(), cuda.err());
        assertTrue(notices.getFirst().contains("libggml-cuda.so") || notices.getFirst().contains("ELF")
                || notices.getFirst().contains("too short"), "llama.cpp's reason: " + notices.getFirst());
        assertTrue(cuda.err().contains("jseek: warning: -ngl 99 has no GPU to offload to on this machine"), cuda.err());
        assertFalse(cpu.err().contains("unavailable"), cpu.err());
    }

    private static Outcome jseek(Path nativeDir, String... args) throws IOException, InterruptedException {
        return Subprocess.run(nativeDir, null, Duration.ofMinutes(2), args);
    }
}
