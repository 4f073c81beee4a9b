package dev.jseek.cli;

import dev.jseek.SamplerParams;
import dev.jseek.SamplingPreset;
import picocli.CommandLine.Option;

/** Sampling flags: a DeepSeek preset (default r1: temperature 0.6, top-p 0.95) with any value overridden. */
final class SamplingOptions {
    @Option(names = "--preset", paramLabel = "NAME", defaultValue = "r1",
            description = "DeepSeek's recommended sampling: r1, v31 (V3.1 and later), v3, v2, coder, greedy (default: ${DEFAULT-VALUE})")
    String preset;

    @Option(names = "--temp", paramLabel = "T", description = "temperature; 0 = greedy (default: the preset's, 0.6 for r1)")
    Float temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "top-k; 0 = off (default: 0)")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "top-p; 1 = off (default: the preset's, 0.95 for r1)")
    Float topP;

    @Option(names = "--min-p", paramLabel = "P", description = "min-p; 0 = off (default: 0)")
    Float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", description = "repeat penalty; 1 = off (default: 1)")
    Float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64",
            description = "tokens the penalties look back; 0 = off (default: ${DEFAULT-VALUE})")
    int repeatLastN;

    @Option(names = "--frequency-penalty", paramLabel = "X", defaultValue = "0",
            description = "subtracted from a token's logit for each time it is among the last --repeat-last-n; 0 = off (default: ${DEFAULT-VALUE})")
    float frequencyPenalty;

    @Option(names = "--presence-penalty", paramLabel = "X", defaultValue = "0",
            description = "subtracted once from the logit of any token among the last --repeat-last-n; 0 = off (default: ${DEFAULT-VALUE})")
    float presencePenalty;

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
        return p.withRepeatPenalty(repeatPenalty == null ? p.repeatPenalty() : repeatPenalty, repeatLastN)
                .withFrequencyPenalty(frequencyPenalty).withPresencePenalty(presencePenalty);
    }
}
