package dev.jseek.cli;

import dev.jseek.SamplerParams;
import dev.jseek.SamplingPreset;
import picocli.CommandLine.Option;

/** Sampling flags: a DeepSeek preset (default r1: temperature 0.6, top-p 0.95) with any value overridden. */
final class SamplingOptions {
    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "r1",
            description = "DeepSeek's recommended sampling: r1, v3, v2, coder, greedy (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--temp", paramLabel = "T", description = "temperature; 0 = greedy")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "top-k; 0 = off (default: 0)")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "top-p; 1 = off")
    Float topP;

    @Option(names = "--min-p", paramLabel = "P", description = "min-p; 0 = off (default: 0)")
    Float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", description = "repeat penalty; 1 = off (default: 1)")
    Float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64",
            description = "tokens the penalty looks back; 0 = off (default: ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "-1", description = "random seed; -1 = random (default: ${DEFAULT-VALUE})")
    long seed;

    SamplerParams params() {
        SamplerParams p = SamplingPreset.named(preset).params().withSeed(seed);
        if (temperature != null) {
            p = p.withTemperature(temperature);
        }
        if (topK != null) {
            p = p.withTopK(topK);
        }
        if (topP != null) {
            p = p.withTopP(topP);
        }
        if (minP != null) {
            p = p.withMinP(minP);
        }
        return p.withRepeatPenalty(repeatPenalty == null ? p.repeatPenalty() : repeatPenalty, repeatLastN);
    }
}
