package dev.jseek.cli;

import dev.jseek.ContextParams;
import dev.jseek.DemoModel;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.TensorPlacement;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Flags shared by every command that loads a model. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF model file (default: the demo model, random weights)")
    Path model;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "4096",
            description = "context size in tokens; 0 = the model's trained length (default: ${DEFAULT-VALUE})")
    int contextSize;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all cores)")
    Integer threads;

    @Option(names = {"-ngl", "--gpu-layers"}, paramLabel = "N", defaultValue = "0",
            description = "layers to offload to the GPU; -1 = all (default: ${DEFAULT-VALUE})")
    int gpuLayers;

    @Option(names = {"-cmoe", "--cpu-moe"}, description = "keep all MoE expert weights in system RAM (the rest goes to the GPU per -ngl)")
    boolean cpuMoe;

    @Option(names = {"-ncmoe", "--n-cpu-moe"}, paramLabel = "N", defaultValue = "0",
            description = "keep the MoE expert weights of the first N layers in system RAM (default: ${DEFAULT-VALUE})")
    int cpuMoeLayers;

    @Option(names = {"-ot", "--override-tensor"}, paramLabel = "PATTERN=DEVICE",
            description = "put tensors matching the regex on a device (CPU, CUDA0, RPC0 …); repeatable")
    List<String> overrides = List.of();

    @Option(names = "--rpc", paramLabel = "HOST:PORT[,…]", split = ",",
            description = "spread the model over these RPC workers too (with -ngl); see 'jseek worker'")
    List<String> rpcServers = List.of();

    @Option(names = "--mlock", description = "lock the weights in RAM (no swapping)")
    boolean mlock;

    @Option(names = "--no-mmap", description = "read the weights into memory instead of mapping the file")
    boolean noMmap;

    @Option(names = "--no-preflight",
            description = "skip the dry-run load of a new model file in a child process (a file that crashes llama.cpp then ends jseek)")
    boolean noPreflight;

    @Option(names = "--verbose", description = "show llama.cpp's log and stack traces on errors")
    void verbose(boolean on) {
        if (on) {
            Verbosity.enable();
        }
    }

    /** The load settings; checked before anything loads. */
    ModelParams modelParams() {
        if (cpuMoeLayers < 0) {
            throw new IllegalArgumentException("--n-cpu-moe must not be negative, not " + cpuMoeLayers);
        }
        List<TensorPlacement> placements = new ArrayList<>();
        overrides.forEach(o -> placements.add(TensorPlacement.parse(o)));
        if (cpuMoe) {
            placements.add(TensorPlacement.expertsOnCpu());
        }
        for (int layer = 0; layer < cpuMoeLayers; layer++) {
            placements.add(TensorPlacement.layerExpertsOnCpu(layer));
        }
        return ModelParams.defaults().withGpuLayers(gpuLayers).withMlock(mlock).withMmap(!noMmap)
                .withPlacements(placements).withRpcServers(rpcServers).withPreflight(!noPreflight);
    }

    /** Loads the chosen model, or the demo model, reporting progress on stderr. */
    Model load(PrintWriter err) {
        ModelParams params = modelParams();
        Path path = model;
        if (path == null) {
            path = DemoModel.ensure();
            err.println("jseek: using the demo model (random weights: its output is gibberish); pass --model FILE for a real one.");
        }
        LoadProgressBar bar = new LoadProgressBar(err, path.getFileName().toString());
        try {
            return Model.load(path, params.withProgress(bar));
        } finally {
            bar.finish();
        }
    }

    ContextParams contextParams() {
        ContextParams p = ContextParams.defaults().withContextSize(contextSize);
        return threads == null ? p : p.withThreads(threads);
    }
}
