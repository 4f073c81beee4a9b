package dev.jseek;

import java.util.Locale;

/**
 * DeepSeek's recommended sampling per model family, by name. Sources: the model cards and
 * generation_config.json files DeepSeek published with each release.
 */
public enum SamplingPreset {
    /** DeepSeek-R1 and the R1-Distill models: temperature 0.5–0.7, 0.6 recommended, top-p 0.95. */
    R1(0.6f, 0.95f, "DeepSeek-R1 and R1-Distill: temperature 0.6, top-p 0.95, top-k 40"),
    /**
     * DeepSeek-V3.1 (thinking and non-thinking): temperature 0.6, top-p 0.95, DeepSeek's recommendation as quoted
     * by unsloth's V3.1 guide, and V3.2-Exp's generation_config.json. V4 uses it too until its own can be checked.
     */
    V31(0.6f, 0.95f, "DeepSeek-V3.1 and later hybrid models: temperature 0.6, top-p 0.95, top-k 40"),
    /** DeepSeek-V3 chat: the API's default temperature 1.0 maps to 0.3 on the model. */
    V3(0.3f, 0.95f, "DeepSeek-V3: temperature 0.3, top-p 0.95, top-k 40"),
    /** DeepSeek-V2 / V2-Lite chat. */
    V2(0.3f, 0.95f, "DeepSeek-V2(-Lite) chat: temperature 0.3, top-p 0.95, top-k 40"),
    /** DeepSeek-Coder-V2: the model card's examples decode greedily. */
    CODER(0f, 1f, "DeepSeek-Coder-V2: greedy"),
    /** Always the most likely token: reproducible output. */
    GREEDY(0f, 1f, "greedy (reproducible)");

    private final float temperature;
    private final float topP;
    private final String description;

    SamplingPreset(float temperature, float topP, String description) {
        this.temperature = temperature;
        this.topP = topP;
        this.description = description;
    }

    /** The preset's values; a sampled preset also keeps llama.cpp's top-k of {@value SamplerParams#SAMPLED_TOP_K}. */
    public SamplerParams params() {
        SamplerParams p = SamplerParams.greedy().withTemperature(temperature).withTopP(topP);
        return temperature > 0 ? p.withTopK(SamplerParams.SAMPLED_TOP_K) : p;
    }

    public String description() {
        return description;
    }

    /** A preset by name, case-insensitive ("r1", "v31", "v3", "v2", "coder", "greedy"). */
    public static SamplingPreset named(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown sampling preset '" + name + "'; choose one of r1, v31, v3, v2, coder, greedy");
        }
    }
}
