package dev.jseek.cli;

import dev.jseek.SamplerParams;
import picocli.CommandLine.Option;

/** Sampling flags; the defaults are DeepSeek's recommendation for R1 (temperature 0.6, top-p 0.95). */
final class SamplingOptions {
    @Option(names = "--temp", paramLabel = "T", defaultValue = "0.6", description = "temperature; 0 = greedy (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0", description = "top-k; 0 = off (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "top-p; 1 = off (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0", description = "min-p; 0 = off (default: ${DEFAULT-VALUE})")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1", description = "repeat penalty; 1 = off (default: ${DEFAULT-VALUE})")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64", description = "tokens the penalty looks back; 0 = off (default: ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "-1", description = "random seed; -1 = random (default: ${DEFAULT-VALUE})")
    long seed;

    SamplerParams params() {
        return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, 0, 0, seed);
    }
}
