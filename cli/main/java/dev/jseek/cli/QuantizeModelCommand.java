package dev.jseek.cli;

import dev.jseek.ModelQuantizer;
import dev.jseek.QuantType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** `jseek quantize IN OUT --type Q4_K_M`: llama.cpp's quantizer, with progress. */
@Command(name = "quantize", description = "Quantize a GGUF model (F32/F16/BF16/Q8_0) to Q4_K_M or another type.")
final class QuantizeModelCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "INPUT", description = "the GGUF model to quantize")
    Path input;

    @Parameters(index = "1", paramLabel = "OUTPUT", description = "where to write the quantized model")
    Path output;

    @Option(names = "--type", paramLabel = "TYPE", defaultValue = "Q4_K_M",
            description = "Q4_K_M, Q4_K_S, Q5_K_M, Q5_K_S, Q6_K, Q8_0, Q4_0, Q3_K_M, Q2_K, IQ4_XS, F16, BF16 … (default: ${DEFAULT-VALUE})")
    String type;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", defaultValue = "0", description = "threads; 0 = all (default: ${DEFAULT-VALUE})")
    int threads;

    @Override
    public Integer call() {
        QuantType quantType = QuantType.named(type);
        PrintWriter err = spec.commandLine().getErr();
        long start = System.nanoTime();
        try (ProgressReporter progress = ProgressReporter.start(err, "quantizing to " + quantType, 1000, "‰", 1)) {
            ModelQuantizer.quantize(input, output, quantType, threads, fraction -> progress.stepTo(Math.round(fraction * 1000)));
        }
        err.printf(Locale.ROOT, "jseek: wrote %s (%s) in %.1f s%n", output, quantType, (System.nanoTime() - start) / 1e9);
        err.flush();
        return ExitCodes.OK;
    }
}
