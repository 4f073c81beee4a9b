package dev.jseek;

import dev.jseek.chat.ChatOptions;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufTensorInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Where the weights and the KV cache really go on a Vulkan device, read from llama.cpp's own loader log: with
 * {@code --cpu-moe} exactly the routed experts' bytes leave Vulkan0 for the CPU; with {@code --n-cpu-moe 1} only the
 * first MoE layer's; and a chat session whose KV cache lives on the device saves and loads exactly.
 */
class VulkanPlacementTest {
    private static final Pattern MODEL_BUFFER = Pattern.compile("load_tensors:\\s+(\\S+) model buffer size =\\s+([0-9.]+) MiB");

    @BeforeAll
    static void device() {
        VulkanDevice.require();
    }

    /** MiB per device buffer ("Vulkan0", "CPU_Mapped" …) and the tensors an override moved, for one load. */
    private record Placement(Map<String, Double> mib, List<String> overridden, String text) {
        double cpuMib() {
            return mib.entrySet().stream().filter(e -> e.getKey().startsWith("CPU")).mapToDouble(Map.Entry::getValue).sum();
        }

        double vulkanMib() {
            return mib.getOrDefault("Vulkan0", 0.0);
        }
    }

    private static Placement load(ModelParams params) {
        try (VulkanDevice.Log log = new VulkanDevice.Log(); Model model = Model.load(TestModels.tiny(), params.withPreflight(false))) {
            Map<String, Double> mib = new TreeMap<>();
            for (String line : log.lines()) {
                Matcher m = MODEL_BUFFER.matcher(line);
                if (m.matches()) {
                    mib.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum);
                }
            }
            List<String> moved = log.lines().stream().filter(l -> l.contains("buffer type overridden to")).toList();
            return new Placement(mib, moved, LlamaSimpleParityTest.greedyLikeLlamaSimple(model, "The sea is"));
        }
    }

    /** MiB of the tiny model's routed-expert tensors whose name matches. */
    private static double expertMib(String layers) throws Exception {
        long bytes = GgufReader.read(TestModels.tiny()).tensors().stream()
                .filter(t -> t.name().matches("blk\\.(" + layers + ")\\.ffn_(gate|up|down)_exps\\.weight"))
                .mapToLong(GgufTensorInfo::byteSize).sum();
        return bytes / (1024.0 * 1024.0);
    }

    @Test
    void cpuMoeMovesExactlyTheExpertsBytesOffVulkan0AsLlamaCppsOwnToolDoes() throws Exception {
        ModelParams all = ModelParams.defaults().withGpuLayers(99);
        Placement offloaded = load(all);
        Placement cpuMoe = load(all.withPlacements(List.of(TensorPlacement.expertsOnCpu())));
        Placement firstLayer = load(all.withPlacements(List.of(TensorPlacement.layerExpertsOnCpu(1))));
        String seen = "full " + offloaded.mib() + ", --cpu-moe " + cpuMoe.mib() + ", --n-cpu-moe 1 " + firstLayer.mib();
        VulkanParityTest.report("placement of the tiny deepseek2 model (MiB): " + seen + "; moved: " + cpuMoe.overridden());

        assertTrue(offloaded.vulkanMib() > 0 && offloaded.overridden().isEmpty(), seen);
        // the tiny model: layer 0 dense, layers 1 and 2 with ffn_{gate,up,down}_exps. llama.cpp gives a CPU override the
        // GPU backend's host buffer type (Vulkan_Host: pinned system RAM) when there is one, as its own tools do.
        assertEquals(6, cpuMoe.overridden().size(), cpuMoe.overridden().toString());
        assertTrue(cpuMoe.overridden().stream().allMatch(l -> l.matches("tensor blk\\.[12]\\.ffn_(gate|up|down)_exps\\.weight .* overridden to (CPU|Vulkan_Host)")),
                cpuMoe.overridden().toString());
        assertEquals(3, firstLayer.overridden().size(), firstLayer.overridden().toString());
        assertTrue(firstLayer.overridden().stream().allMatch(l -> l.startsWith("tensor blk.1.")), firstLayer.overridden().toString());

        // Vulkan0's buffer shrinks by the experts' bytes (the log rounds to 0.01 MiB); they are read from the mapped file
        double experts = expertMib("1|2");
        double layerOne = expertMib("1");
        assertTrue(experts > 0.05, "the experts are large enough to see: " + experts + " MiB");
        assertEquals(offloaded.vulkanMib() - experts, cpuMoe.vulkanMib(), 0.011, seen);
        assertEquals(offloaded.vulkanMib() - layerOne, firstLayer.vulkanMib(), 0.011, seen);
        assertTrue(cpuMoe.vulkanMib() > 0, "attention and the shared experts stay on Vulkan0: " + seen);
        assertFalse(cpuMoe.text().isBlank());

        // the oracle: llama-completion from the same entry places them the same with its own --cpu-moe. (Not with
        // --n-cpu-moe 1 or 2: there it ends in a segfault inside lavapipe's worker thread, mesa 22.3.6, docs/TESTS.md.)
        assertEquals(llamaCompletion("--cpu-moe"), new Placement(cpuMoe.mib(), cpuMoe.overridden(), ""));
        VulkanParityTest.report("--cpu-moe greedy text " + (cpuMoe.text().equals(offloaded.text()) ? "equals" : "differs from")
                + " full offload's; --n-cpu-moe 1 " + (firstLayer.text().equals(offloaded.text()) ? "equals" : "differs from") + " it");
    }

    /** The placement llama-completion (the entry's own) logs for the tiny model at -ngl 99 with these flags. */
    private static Placement llamaCompletion(String... flags) throws Exception {
        List<String> command = new ArrayList<>(List.of(Backend.get().libraryDir().resolve("llama-completion").toString(),
                "-m", TestModels.tiny().toString(), "-ngl", "99", "-n", "1", "-p", "The sea is", "-no-cnv", "-v"));
        command.addAll(List.of(flags));
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        List<String> lines;
        try (var err = new java.io.BufferedReader(new java.io.InputStreamReader(p.getErrorStream(), java.nio.charset.StandardCharsets.UTF_8))) {
            lines = err.lines().map(l -> l.replaceFirst("^[0-9.]+ [A-Z] ", "")).toList();
        }
        assertTrue(p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES) && p.exitValue() == 0, "llama-completion failed: " + command);
        // it loads twice (a dry run that fits the context first, then the real load): the real one is the last
        int last = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("llama_model_loader: loaded meta data")) {
                last = i;
            }
        }
        List<String> real = lines.subList(last, lines.size());
        Map<String, Double> mib = new TreeMap<>();
        for (String line : real) {
            Matcher m = MODEL_BUFFER.matcher(line);
            if (m.matches()) {
                mib.merge(m.group(1), Double.parseDouble(m.group(2)), Double::sum);
            }
        }
        return new Placement(mib, real.stream().filter(l -> l.contains("buffer type overridden to")).toList(), "");
    }

    @Test
    void aSessionWithItsKvCacheOnTheDeviceSavesAndLoadsExactly(@TempDir Path dir) {
        ChatOptions options = ChatOptions.defaults().withSampling(SamplerParams.greedy()).withMaxTokens(12).withReasoningBudget(4);
        try (Model model = VulkanParityTest.load("deepseek2", 99); VulkanDevice.Log log = new VulkanDevice.Log()) {
            ChatChecks.aLoadedSessionContinuesExactly(model, options, dir);
            assertTrue(log.lines().stream().anyMatch(l -> l.matches("llama_kv_cache:\\s+Vulkan0 KV buffer size = .*")),
                    "the KV cache is on the device: " + log.lines());
        }
    }
}
