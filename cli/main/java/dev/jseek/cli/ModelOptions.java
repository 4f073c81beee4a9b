package dev.jseek.cli;

import dev.jseek.ContextParams;
import dev.jseek.DemoModel;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

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

    @Option(names = "--verbose", description = "show llama.cpp's log and stack traces on errors")
    void verbose(boolean on) {
        if (on) {
            Verbosity.enable();
        }
    }

    /** Loads the chosen model, or the demo model, reporting progress on stderr. */
    Model load(PrintWriter err) {
        Path path = model;
        if (path == null) {
            path = DemoModel.ensure();
            err.println("jseek: using the demo model (random weights: its output is gibberish); pass --model FILE for a real one.");
        }
        LoadProgressBar bar = new LoadProgressBar(err, path.getFileName().toString());
        try {
            return Model.load(path, ModelParams.defaults().withGpuLayers(gpuLayers).withProgress(bar));
        } finally {
            bar.finish();
        }
    }

    ContextParams contextParams() {
        ContextParams p = ContextParams.defaults().withContextSize(contextSize);
        return threads == null ? p : p.withThreads(threads);
    }
}
