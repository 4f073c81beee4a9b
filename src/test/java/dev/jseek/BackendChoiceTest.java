package dev.jseek;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * native/backends.sh decides which ggml backends a platform gets. Machines we cannot run here (macOS, CUDA)
 * are checked through the same function the build uses.
 */
class BackendChoiceTest {

    @ParameterizedTest
    @CsvSource({
            "linux,  x86_64, auto, no,  cpu+rpc,       -DGGML_CUDA=OFF",
            "linux,  x86_64, auto, yes, cpu+rpc+cuda,  -DGGML_CUDA=ON",
            "linux,  x86_64, off,  yes, cpu+rpc,       -DGGML_CUDA=OFF",
            "linux,  arm64,  on,   no,  cpu+rpc+cuda,  -DGGML_CUDA=ON",
            "darwin, arm64,  auto, no,  cpu+rpc+metal, -DGGML_METAL=ON -DGGML_METAL_EMBED_LIBRARY=ON",
            "darwin, x86_64, auto, no,  cpu+rpc,       -DGGML_METAL=OFF",
            "darwin, arm64,  auto, yes, cpu+rpc+metal, -DGGML_CUDA=OFF",
    })
    void backendsPerPlatform(String os, String arch, String cudaWanted, String cudaPresent, String set, String flag)
            throws IOException, InterruptedException {
        String line = choose(os, arch, cudaWanted, cudaPresent);
        assertEquals(set, line.split(" ")[0], line);
        assertTrue(line.contains(flag), line);
        assertTrue(line.contains("-DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_NATIVE=OFF"),
                "every platform gets the portable CPU build: " + line);
    }

    private static String choose(String... args) throws IOException, InterruptedException {
        Path script = Path.of(System.getProperty("jseek.repo", "..")).resolve("native/backends.sh");
        Process p = new ProcessBuilder("bash", "-c", "source \"$0\" && jseek_backends \"$@\"", script.toString(),
                args[0], args[1], args[2], args[3]).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        return out;
    }
}
