package dev.jseek;

import dev.jseek.models.TinyDistill;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every generated family on a Vulkan device (lavapipe here): greedy text at full offload ({@code -ngl 99}) and at a
 * partial one is what llama.cpp's own llama-simple prints with the same module on the same device. llama-simple is the
 * source build's, in the same entry, and loads the backend modules from its own directory, as jseek does. Whether the
 * CPU gives the same text is recorded (target/test-work/vulkan-report.txt), not required: the device sums in another
 * order. Every family at full offload with one prompt, and deepseek2 with all three and at -ngl 2, in the default run;
 * everything for every family with -Pvulkan-all (.ci/run).
 */
class VulkanParityTest {
    private static final List<String> PROMPTS = List.of("The quick brown fox jumps over the lazy dog",
            "深度求索的模型会思考吗？", "Whales 🐳 and dolphins 🐬 sing");
    /** Each generated family's tiny model, by its llama.cpp architecture name. */
    static final Map<String, Supplier<Path>> FAMILIES = new LinkedHashMap<>();

    static {
        FAMILIES.put("deepseek2", TestModels::tiny);
        FAMILIES.put("deepseek32", TestModels::deepSeek32);
        FAMILIES.put("deepseek4", TestModels::deepSeek4);
        for (TinyDistill.Family f : TinyDistill.Family.values()) {
            FAMILIES.put(f.architecture(), () -> TestModels.distill(f));
        }
    }

    private static final Map<String, Model> MODELS = new LinkedHashMap<>();
    private static Path entry;

    @BeforeAll
    static void device() {
        entry = VulkanDevice.require();
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(Model::close);
    }

    /** Every family in full with -Pvulkan-all (jseek.vulkan.all); otherwise deepseek2 in full and the others' first prompt. */
    private static boolean all() {
        return Boolean.getBoolean("jseek.vulkan.all");
    }

    static Stream<String> families() {
        return FAMILIES.keySet().stream().filter(f -> all() || f.equals("deepseek2"));
    }

    static Stream<Arguments> familiesAndPrompts() {
        return FAMILIES.keySet().stream().flatMap(f -> PROMPTS.stream()
                .filter(p -> all() || f.equals("deepseek2") || p.equals(PROMPTS.getFirst())).map(p -> Arguments.of(f, p)));
    }

    private static synchronized Model offloaded(String family) {
        return MODELS.computeIfAbsent(family, f -> load(f, 99));
    }

    static Model load(String family, int gpuLayers) {
        // generated files: no pre-flight child (it would build the Vulkan pipelines again in a process of its own)
        return Model.load(FAMILIES.get(family).get(), ModelParams.defaults().withGpuLayers(gpuLayers).withPreflight(false));
    }

    @ParameterizedTest
    @MethodSource("familiesAndPrompts")
    void fullOffloadGivesLlamaSimplesGreedyTextOnTheSameDevice(String family, String prompt) throws Exception {
        Model model = offloaded(family);
        String jseek = LlamaSimpleParityTest.greedyLikeLlamaSimple(model, prompt);
        Path file = FAMILIES.get(family).get();
        assertEquals(llamaSimple(file, prompt, 99, true), jseek, family + " on Vulkan0");
        report(family + " -ngl 99 \"" + prompt + "\": " + (jseek.equals(llamaSimple(file, prompt, 0, false))
                ? "equals the CPU's text" : "differs from the CPU's text"));
    }

    @ParameterizedTest
    @MethodSource("families")
    void partialOffloadGivesLlamaSimplesGreedyTextAndSplitsTheLayers(String family) throws Exception {
        String prompt = PROMPTS.getFirst();
        String jseek;
        try (VulkanDevice.Log log = new VulkanDevice.Log(); Model model = load(family, 2)) {
            jseek = LlamaSimpleParityTest.greedyLikeLlamaSimple(model, prompt);
            // two of the n_layer + 1 (the output layer) on the device, the rest on the CPU
            assertTrue(log.lines().stream().anyMatch(l -> l.matches("load_tensors: offloaded 2/\\d+ layers to GPU")), log.lines().toString());
            assertTrue(log.lines().stream().anyMatch(l -> l.matches("load_tensors:\\s+Vulkan0 model buffer size = .*")), log.lines().toString());
        }
        assertEquals(llamaSimple(FAMILIES.get(family).get(), prompt, 2, true), jseek, family + " with -ngl 2");
    }

    /** llama-simple's stdout for 32 greedy tokens, from the Vulkan entry, on the device or (without it) on the CPU. */
    static String llamaSimple(Path model, String prompt, int gpuLayers, boolean device) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(entry.resolve("llama-simple").toString(), "-m", model.toString(),
                "-n", "32", "-ngl", String.valueOf(gpuLayers), prompt));
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD);
        VulkanDevice.environment(pb.environment(), device);
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        // the first run on a machine builds the device's shader pipelines (mesa caches them on disk for the next)
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "llama-simple did not finish");
        assertEquals(0, p.exitValue(), "llama-simple failed: " + command);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** One line of target/test-work/vulkan-report.txt (and of the test's output): what is recorded, not required. */
    static synchronized void report(String line) {
        System.err.println("[vulkan] " + line);
        try {
            Files.createDirectories(TestModels.workDir());
            Files.writeString(TestModels.workDir().resolve("vulkan-report.txt"), line + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
