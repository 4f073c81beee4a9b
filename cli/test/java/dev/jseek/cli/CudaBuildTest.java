package dev.jseek.cli;

import dev.jseek.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real CUDA build (native/build.sh with JSEEK_CUDA=on: the CPU build plus libggml-cuda). Without an NVIDIA driver
 * it must load, say in one line that CUDA is unavailable and why, and give the CPU build's greedy tokens; with one, it
 * lists the GPU. Only `./mvnw -pl cli -am verify -Pcuda` runs it: the first CUDA build takes long.
 */
@Tag("cuda")
class CudaBuildTest {
    private static final Path MODEL = TestModels.tiny();
    private static final boolean DRIVER = Files.exists(Path.of("/dev/nvidiactl"));
    private static Path cudaBuild;
    private static Path cpuBuild;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        cudaBuild = nativeBuild("on");
        cpuBuild = nativeBuild("off");
        assertTrue(Files.isRegularFile(cudaBuild.resolve("libggml-cuda.so")), "no CUDA module in " + cudaBuild);
    }

    @Test
    void devicesNameCudaOrSayWhyItIsUnavailable() throws Exception {
        Outcome devices = Subprocess.run(cudaBuild, null, Duration.ofMinutes(2), "devices");
        assertEquals(0, devices.code(), devices.err());
        if (DRIVER) {
            assertTrue(devices.out().contains("CUDA0"), devices.out());
        } else {
            assertTrue(devices.out().lines().anyMatch(l -> l.matches("CUDA is built but unavailable here \\(.+\\); running on the CPU\\.")),
                    devices.out());
        }
        Outcome version = Subprocess.run(cudaBuild, null, Duration.ofMinutes(2), "--version");
        assertTrue(version.out().contains("CUDA"), version.out());
    }

    @Test
    void withoutADriverItRunsTheCpuBuildsGreedyTokens() throws Exception {
        String[] greedy = {"run", "--raw", "-m", MODEL.toString(), "--temp", "0", "-n", "24", "--no-preflight", "-ngl", "99",
                "Whales and dolphins sing"};
        Outcome cuda = Subprocess.run(cudaBuild, null, Duration.ofMinutes(2), greedy);
        assertEquals(0, cuda.code(), cuda.err());
        assertFalse(cuda.out().isBlank(), cuda.err());
        if (DRIVER) {
            return; // on a GPU the sums differ from the CPU's: bench/gpu compares with llama-simple on the same GPU
        }
        Outcome cpu = Subprocess.run(cpuBuild, null, Duration.ofMinutes(2), greedy);
        assertEquals(cpu.out(), cuda.out(), "the CPU build's greedy tokens");
        assertEquals(1, cuda.err().lines().filter(l -> l.startsWith("jseek: CUDA is built but unavailable here (")).count(), cuda.err());
        assertTrue(cuda.err().contains("jseek: warning: -ngl 99 has no GPU to offload to"), cuda.err());
    }

    /** native/build.sh's entry for JSEEK_CUDA=on|off (cached after the first time). */
    private static Path nativeBuild(String cuda) throws IOException, InterruptedException {
        Path root = Path.of(System.getProperty("jseek.test.root", ".."));
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("native/build.sh").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> env = pb.environment();
        env.put("JSEEK_CUDA", cuda);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), "native/build.sh with JSEEK_CUDA=" + cuda + " failed");
        return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
    }
}
