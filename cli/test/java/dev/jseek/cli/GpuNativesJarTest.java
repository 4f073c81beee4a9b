package dev.jseek.cli;

import dev.jseek.Backend;
import dev.jseek.models.TinyDeepSeek;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Vulkan natives jar (native/pom.xml: the CPU set plus the Vulkan module our pin's CI built) on the class path of
 * a machine with no GPU for it: the runtime extracts that jar and loads it, says in one line that Vulkan is built but
 * unavailable and why, and answers with the CPU build's greedy tokens. What a user who added the jar gets on a
 * machine without a GPU, driver or Vulkan loader.
 */
class GpuNativesJarTest {
    private static final Path MODEL = DemoModel.ensure(Path.of(System.getProperty("jseek.test.work", "target/test-work")),
            TinyDeepSeek.Config.defaults());

    @Test
    void theVulkanJarWithoutAGpuRunsOnTheCpuAndSaysWhyInOneLine(@TempDir Path cache) throws Exception {
        assumeTrue(Boolean.getBoolean("jseek.test.natives.vulkan"),
                "no Vulkan natives jar is built here (only on Linux x86-64, and not with -Djseek.vulkan.skip)");
        assumeFalse(hasRenderNode(), "this machine has a GPU render node: Vulkan may really run here (VulkanTest's domain)");
        Path cpuJar = Path.of(System.getProperty("jseek.test.jar.natives"));
        Path vulkanJar = cpuJar.resolveSibling(cpuJar.getFileName().toString().replace(".jar", "-vulkan.jar"));
        assertTrue(Files.isRegularFile(vulkanJar), vulkanJar + " is missing: run this test through ./mvnw verify");

        Outcome devices = withJar(vulkanJar, cache, "devices");
        assertEquals(0, devices.code(), devices.err());
        assertTrue(devices.out().lines().findFirst().orElse("").matches(
                        "llama\\.cpp \\S+, libraries in " + java.util.regex.Pattern.quote(cache.resolve("natives").toString()) + "/[0-9a-f]{16}"),
                "the libraries must come from the extracted Vulkan jar:\n" + devices.out());
        assertTrue(devices.out().lines().anyMatch(l -> l.matches("Vulkan is built but unavailable here \\(.+\\); running on the CPU\\.")),
                devices.out());

        String[] greedy = {"run", "--raw", "-m", MODEL.toString(), "--temp", "0", "-n", "16", "--no-preflight", "-ngl", "99",
                "Whales and dolphins sing"};
        Outcome vulkan = withJar(vulkanJar, cache, greedy);
        Outcome cpu = Subprocess.run(Backend.get().libraryDir(), null, Duration.ofMinutes(2), greedy);
        assertEquals(0, vulkan.code(), vulkan.err());
        assertFalse(cpu.out().isBlank(), cpu.err());
        assertEquals(cpu.out(), vulkan.out(), "the CPU build's greedy tokens");
        assertEquals(1, vulkan.err().lines().filter(l -> l.startsWith("jseek: Vulkan is built but unavailable here (")).count(),
                vulkan.err());
    }

    /** jseek with the test class path plus {@code jar}, a cache of its own and no native directory named. */
    private static Outcome withJar(Path jar, Path cache, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(Subprocess.command(List.of(args)));
        int cp = command.indexOf("-cp") + 1;
        command.set(cp, command.get(cp) + File.pathSeparator + jar);
        Path io = Files.createDirectories(cache.resolve("io"));
        Path out = Files.createTempFile(io, "out", ".txt");
        Path err = Files.createTempFile(io, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("JSEEK_CACHE", cache.toString());
        pb.environment().remove("JSEEK_NATIVE_DIR");
        // lavapipe (Mesa's Vulkan on the CPU) is a device only where named: here there must be none
        pb.environment().remove("GGML_VK_VISIBLE_DEVICES");
        Process p = pb.start();
        if (!p.waitFor(3, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("jseek " + String.join(" ", args) + " did not end within 3 minutes");
        }
        return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static boolean hasRenderNode() {
        try (Stream<Path> nodes = Files.list(Path.of("/dev/dri"))) {
            return nodes.anyMatch(n -> n.getFileName().toString().startsWith("renderD"));
        } catch (IOException e) {
            return false;
        }
    }
}
