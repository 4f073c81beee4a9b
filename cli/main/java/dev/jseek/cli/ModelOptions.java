package dev.jseek.cli;

import dev.jseek.Backend;
import dev.jseek.ContextParams;
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
            description = "GGUF model file (default: the demo model: tiny, random weights, short replies)")
    Path model;

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
            description = "put tensors matching the regex on a device (CPU, CUDA0, RPC0 …); repeatable (default: none)")
    List<String> overrides = List.of();

    @Option(names = "--rpc", paramLabel = "HOST:PORT[,…]", split = ",",
            description = "spread the model over these RPC workers too (with -ngl); see 'jseek worker' (default: none)")
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

    /** Whether no --model was given, so the demo model runs. */
    boolean demo() {
        return model == null;
    }

    /** Loads the chosen model, or the demo model, reporting progress on stderr. */
    Model load(PrintWriter err) {
        return load(err, "");
    }

    /** Loads the chosen model, or the demo model with one line on stderr saying what it is, plus {@code demoNote}. */
    Model load(PrintWriter err, String demoNote) {
        ModelParams params = modelParams();
        warnAboutDevices(err, Backend.get());
        Path path = model;
        if (path == null) {
            path = DemoModel.ensure();
            err.println("jseek: no --model given, so this is the demo model: a tiny DeepSeek-R1-shaped network with random weights, "
                    + "made here to show jseek working (its words are noise)" + demoNote + "; 'jseek models' lists real ones.");
            err.flush();
        }
        LoadProgressBar bar = new LoadProgressBar(err, path.getFileName().toString());
        try {
            return Model.load(path, params.withProgress(bar));
        } finally {
            bar.finish();
        }
    }

    /**
     * A GPU backend that is built but cannot run here gets its one line (llama.cpp's reason), and -ngl with nowhere
     * to offload gets a warning: the model still runs, on the CPU.
     */
    void warnAboutDevices(PrintWriter err, Backend backend) {
        backend.unavailableBackends().forEach(b -> err.println("jseek: " + b.notice()));
        boolean offloads = backend.devices().stream().anyMatch(d -> d.type() == Backend.Device.Type.GPU
                || d.type() == Backend.Device.Type.IGPU) || !rpcServers.isEmpty();
        if (gpuLayers != 0 && !offloads) {
            err.println("jseek: warning: -ngl " + gpuLayers + " has no GPU to offload to on this machine ('jseek devices' "
                    + "lists what there is); every layer runs on the CPU.");
        }
        err.flush();
    }
}
