package dev.jseek.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Backend;
import dev.jseek.models.ModelFacts;
import dev.jseek.models.TinyDeepSeek;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * jseek's commands on the Vulkan entry (native/prebuilt.sh vulkan: the CPU build plus the pin's prebuilt libggml-vulkan),
 * each in a process of its own as a user runs them: the device and its memory in `devices` and `fit`, `bench` beside
 * llama-bench with the same module, and the CPU with one line of why when the Vulkan loader or the device is missing.
 * Skipped, saying why, where the build could not make the entry or there is no Vulkan device.
 */
class VulkanTest {
    static final Path MODEL = DemoModel.ensure(Path.of(System.getProperty("jseek.test.work", "target/test-work")),
            TinyDeepSeek.Config.defaults());
    static final String[] GREEDY = {"run", "--raw", "-m", MODEL.toString(), "--temp", "0", "-n", "16", "--no-preflight",
            "The quick brown fox"};
    static Path entry;

    @BeforeAll
    static void entry() throws IOException, InterruptedException {
        Path file = Path.of(System.getProperty("jseek.test.vulkan.entry", "target/vulkan-dir.txt"));
        Assumptions.assumeTrue(Files.isRegularFile(file), "no Vulkan entry: native/prebuilt.sh vulkan could not make one (see the build log)");
        entry = Path.of(Files.readString(file).strip());
        Outcome devices = jseek(entry, true, "devices");
        Assumptions.assumeTrue(devices.out().contains("Vulkan0"), "no Vulkan device here: " + devices.out());
    }

    /** jseek ARGS on the libraries in {@code nativeDir}, with the test's Vulkan device visible or not. */
    static Outcome jseek(Path nativeDir, boolean device, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(Subprocess.command(List.of(args)));
        command.add(1, "-Djseek.native.dir=" + nativeDir);
        return run(device, command);
    }

    /** A command with GGML_VK_VISIBLE_DEVICES set to the test's device (lavapipe is listed only when named) or unset. */
    static Outcome run(boolean device, List<String> command) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("jseek-vulkan");
        ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(dir.resolve("out").toFile()).redirectError(dir.resolve("err").toFile());
        devices(pb.environment(), device);
        Process p = pb.start();
        // the first run on a machine builds the shader pipelines (mesa keeps them in its disk cache for the next)
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not end within 5 minutes");
        }
        return new Outcome(p.exitValue(), Files.readString(dir.resolve("out"), StandardCharsets.UTF_8),
                Files.readString(dir.resolve("err"), StandardCharsets.UTF_8));
    }

    static void devices(Map<String, String> env, boolean device) {
        if (device) {
            env.put("GGML_VK_VISIBLE_DEVICES", System.getProperty("jseek.test.vulkan.devices", "0"));
        } else {
            env.remove("GGML_VK_VISIBLE_DEVICES");
        }
    }

    @Test
    void fitAdvisesAgainstTheMemoryVulkan0Reports() throws Exception {
        Outcome devices = jseek(entry, true, "devices", "--json");
        assertEquals(0, devices.code(), devices.err());
        JsonNode root = new ObjectMapper().readTree(devices.out());
        assertEquals(0, root.get("unavailable_backends").size(), devices.out());
        JsonNode vulkan = Stream.of(root.get("devices")).flatMap(d -> java.util.stream.StreamSupport.stream(d.spliterator(), false))
                .filter(d -> d.get("name").asText().equals("Vulkan0")).findFirst().orElseThrow();
        long free = vulkan.get("free_bytes").asLong();
        assertTrue(free > 0 && free <= vulkan.get("total_bytes").asLong(), devices.out());

        Outcome fit = jseek(entry, true, "fit", MODEL.toString(), "-c", "4096");
        assertEquals(0, fit.code(), fit.err());
        assertTrue(fit.out().contains(ModelFacts.humanBytes(free) + " VRAM free on the largest GPU"), devices.out() + fit.out());
        assertTrue(fit.out().lines().anyMatch(l -> l.startsWith("advice     -ngl -1")), "the tiny model fits the device: " + fit.out());
    }

    @Test
    void withoutTheLoaderOrTheDeviceItSaysWhyInOneLineAndRunsOnTheCpu(@TempDir Path dir) throws Exception {
        Outcome cpu = jseek(Backend.get().libraryDir(), false, GREEDY);
        assertEquals(0, cpu.code(), cpu.err());
        assertFalse(cpu.out().isBlank(), cpu.err());

        // no device: the module loads (the loader is there) and finds none
        Outcome noDevice = jseek(entry, false, offloaded());
        assertEquals(0, noDevice.code(), noDevice.err());
        assertEquals(cpu.out(), noDevice.out(), "the CPU's greedy text");
        assertEquals(List.of("jseek: Vulkan is built but unavailable here (it found no device); running on the CPU."),
                notices(noDevice), noDevice.err());
        assertTrue(noDevice.err().contains("jseek: warning: -ngl 99 has no GPU to offload to"), noDevice.err());

        // no loader: the entry with a module whose libvulkan.so.1 cannot resolve, as on a machine without libvulkan1
        Path withoutLoader = entryWithoutLoader(dir);
        Outcome noLoader = jseek(withoutLoader, true, offloaded());
        assertEquals(0, noLoader.code(), noLoader.err());
        assertEquals(cpu.out(), noLoader.out(), "the CPU's greedy text");
        assertEquals(1, notices(noLoader).size(), noLoader.err());
        assertTrue(notices(noLoader).getFirst().startsWith("jseek: Vulkan is built but unavailable here (libvulkan.so.0: cannot open shared object file"),
                noLoader.err());
    }

    private static String[] offloaded() {
        List<String> args = new ArrayList<>(List.of(GREEDY));
        args.addAll(1, List.of("-ngl", "99"));
        return args.toArray(String[]::new);
    }

    private static List<String> notices(Outcome r) {
        return r.err().lines().filter(l -> l.contains("is built but unavailable here")).toList();
    }

    /**
     * A copy of the entry (links to its files) whose libggml-vulkan.so needs "libvulkan.so.0" instead of ".1": the
     * dynamic loader then fails exactly as it does where the Vulkan loader is not installed, without touching the system.
     */
    static Path entryWithoutLoader(Path dir) throws IOException {
        Path copy = Files.createDirectory(dir.resolve("native"));
        try (Stream<Path> files = Files.list(entry)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("libggml-vulkan.so")) {
                    Files.createSymbolicLink(copy.resolve(f.getFileName()), f);
                }
            }
        }
        byte[] module = Files.readAllBytes(entry.resolve("libggml-vulkan.so"));
        byte[] needed = "libvulkan.so.1\0".getBytes(StandardCharsets.US_ASCII);
        int patched = 0;
        for (int i = 0; i + needed.length <= module.length; i++) {
            if (java.util.Arrays.equals(module, i, i + needed.length, needed, 0, needed.length)) {
                module[i + needed.length - 2] = '0';
                patched++;
            }
        }
        assertTrue(patched > 0, "libggml-vulkan.so names libvulkan.so.1");
        Files.write(copy.resolve("libggml-vulkan.so"), module);
        return copy;
    }

    @Test
    void benchMeasuresBesideLlamaBenchWithTheSameModule() throws Exception {
        List<String> shape = List.of("-m", MODEL.toString(), "-ngl", "99", "-p", "16", "-n", "8", "-r", "1", "-o", "json");
        Outcome jseek = jseek(entry, true, Stream.concat(Stream.of("bench"), shape.stream()).toArray(String[]::new));
        assertEquals(0, jseek.code(), jseek.err());
        List<String> tool = new ArrayList<>(List.of(entry.resolve("llama-bench").toString()));
        tool.addAll(shape);
        Outcome llama = run(true, tool);
        assertEquals(0, llama.code(), llama.err());
        JsonNode ours = new ObjectMapper().readTree(jseek.out());
        JsonNode theirs = new ObjectMapper().readTree(llama.out());
        assertEquals(2, ours.size(), jseek.out());
        assertEquals(2, theirs.size(), llama.out());
        StringBuilder report = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            JsonNode a = ours.get(i);
            JsonNode b = theirs.get(i);
            for (String field : List.of("n_prompt", "n_gen", "n_gpu_layers")) {
                assertEquals(b.get(field).asLong(), a.get(field).asLong(), field);
            }
            assertTrue(a.get("backends").asText().contains("Vulkan") && b.get("backends").asText().contains("Vulkan"),
                    a.get("backends") + " / " + b.get("backends"));
            assertTrue(a.get("avg_ts").asDouble() > 0 && b.get("avg_ts").asDouble() > 0, jseek.out() + llama.out());
            report.append(String.format(java.util.Locale.ROOT, "%s: jseek %.1f t/s, llama-bench %.1f t/s; ",
                    a.get("n_prompt").asLong() > 0 ? "pp" + a.get("n_prompt") : "tg" + a.get("n_gen"),
                    a.get("avg_ts").asDouble(), b.get("avg_ts").asDouble()));
        }
        System.err.println("[vulkan] bench on Vulkan0, one repetition each: " + report);
    }
}
