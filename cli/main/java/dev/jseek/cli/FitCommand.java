package dev.jseek.cli;

import dev.jseek.Backend;
import dev.jseek.ContextParams;
import dev.jseek.MemoryEstimate;
import dev.jseek.ModelLoadException;
import dev.jseek.ModelParams;
import dev.jseek.SystemMemory;
import dev.jseek.gguf.GgufFile;
import dev.jseek.models.FitAdvisor;
import dev.jseek.models.ModelFacts;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** `jseek fit FILE`: which flags make this model fit this machine's free RAM and VRAM. */
@Command(name = "fit", description = "Suggest the GPU-layer and MoE-expert flags that fit this machine's free memory.")
final class FitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "a GGUF model file")
    Path file;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "4096", description = "context length (default: ${DEFAULT-VALUE})")
    int context;

    @Override
    public Integer call() {
        if (context < 1) {
            throw new IllegalArgumentException("--ctx-size must be at least 1, not " + context);
        }
        GgufFile gguf = ModelInfoCommand.readGguf(file);
        ModelFacts facts;
        try {
            facts = ModelFacts.of(gguf);
        } catch (IOException e) {
            throw new ModelLoadException(e.getMessage());
        }
        // The KV cache as llama.cpp itself would allocate it (a no_alloc load): exact for every architecture.
        MemoryEstimate measured = MemoryEstimate.measure(file, ModelParams.defaults(), ContextParams.defaults().withContextSize(context));
        facts = facts.withMeasuredKv(measured.contextBytes(), context);
        long freeRam = SystemMemory.availableBytes().orElse(0);
        long freeVram = Backend.get().devices().stream()
                .filter(d -> d.type() == Backend.Device.Type.GPU && !d.name().startsWith("RPC"))
                .mapToLong(Backend.Device::freeBytes).max().orElse(0);
        FitAdvisor.Advice advice = FitAdvisor.advise(gguf, facts, context, freeRam, freeVram);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "model      %s (%s at %d tokens of context)%n", facts.name(), ModelFacts.humanBytes(facts.memoryBytes(context)), context);
        out.printf(Locale.ROOT, "machine    %s RAM available, %s%n", ModelFacts.humanBytes(freeRam),
                freeVram > 0 ? ModelFacts.humanBytes(freeVram) + " VRAM free on the largest GPU" : "no GPU");
        out.printf(Locale.ROOT, "advice     %s%n", advice.fits() ? advice.flags() : "does not fit");
        out.printf(Locale.ROOT, "           %s%n", advice.explanation());
        if (advice.fits()) {
            out.printf(Locale.ROOT, "           GPU %s, RAM %s (estimates: weights exact, %s)%n",
                    ModelFacts.humanBytes(advice.gpuBytes()), ModelFacts.humanBytes(advice.ramBytes()),
                    "KV cache " + ModelFacts.humanBytes(measured.contextBytes()) + " measured by llama.cpp, compute buffers estimated");
        }
        out.flush();
        return advice.fits() ? ExitCodes.OK : ExitCodes.FAILURE;
    }
}
