package dev.jseek;

/**
 * Sampling settings. Temperature 0 means greedy (always the most likely token).
 *
 * @param temperature      0 for greedy; otherwise divides the logits before the random draw
 * @param topK             keep the K most likely tokens; 0 = off
 * @param topP             keep the smallest set whose probabilities sum to P; 1 = off
 * @param minP             drop tokens less likely than minP × the best one; 0 = off
 * @param repeatPenalty    divides the logits of recently seen tokens; 1 = off
 * @param repeatLastN      how many recent tokens the penalties look at; 0 = off
 * @param frequencyPenalty subtracted per occurrence of a token among the recent ones; 0 = off
 * @param presencePenalty  subtracted once for any token among the recent ones; 0 = off
 * @param seed             seed of the random draw; -1 = a different one each time
 */
public record SamplerParams(float temperature, int topK, float topP, float minP, float repeatPenalty, int repeatLastN,
                            float frequencyPenalty, float presencePenalty, long seed) {

    public SamplerParams {
        require(temperature >= 0 && Float.isFinite(temperature), "temperature must be 0 (greedy) or positive, not " + temperature);
        require(topK >= 0, "top-k must be 0 (off) or positive, not " + topK);
        require(topP > 0 && topP <= 1, "top-p must be in (0, 1], not " + topP);
        require(minP >= 0 && minP <= 1, "min-p must be in [0, 1], not " + minP);
        require(repeatPenalty > 0 && Float.isFinite(repeatPenalty), "repeat penalty must be positive (1 = off), not " + repeatPenalty);
        require(repeatLastN >= 0, "repeat-last-n must be 0 (off) or positive, not " + repeatLastN);
        require(Float.isFinite(frequencyPenalty), "frequency penalty must be a finite number");
        require(Float.isFinite(presencePenalty), "presence penalty must be a finite number");
        require(seed >= -1 && seed <= 0xFFFFFFFFL, "seed must be -1 (random) or in [0, 4294967295], not " + seed);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new InvalidRequestException(message);
        }
    }

    /** Always the most likely token: the setting for reproducible output and comparisons with llama.cpp. */
    public static SamplerParams greedy() {
        return new SamplerParams(0, 0, 1, 0, 1, 64, 0, 0, -1);
    }

    /**
     * DeepSeek's recommendation for R1 and its distills: temperature 0.6, top-p 0.95, with llama.cpp's default
     * top-k of {@value #SAMPLED_TOP_K} (see {@link SamplingPreset}).
     */
    public static SamplerParams deepSeekR1() {
        return SamplingPreset.R1.params();
    }

    /**
     * The top-k every sampled preset keeps: llama.cpp's default (llama-cli, llama-server). Top-p 0.95 at DeepSeek's
     * temperatures rarely keeps more than 40 tokens, and without a top-k before it llama.cpp's top-p sorts the
     * whole 102k vocabulary for every token (16 tok/s instead of 284 on the demo model, measured 2026-11-30).
     */
    public static final int SAMPLED_TOP_K = 40;

    public SamplerParams withTemperature(float t) {
        return new SamplerParams(t, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerParams withTopK(int k) {
        return new SamplerParams(temperature, k, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerParams withTopP(float p) {
        return new SamplerParams(temperature, topK, p, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerParams withMinP(float p) {
        return new SamplerParams(temperature, topK, topP, p, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerParams withRepeatPenalty(float penalty, int lastN) {
        return new SamplerParams(temperature, topK, topP, minP, penalty, lastN, frequencyPenalty, presencePenalty, seed);
    }

    public SamplerParams withFrequencyPenalty(float f) {
        return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, f, presencePenalty, seed);
    }

    public SamplerParams withPresencePenalty(float p) {
        return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, p, seed);
    }

    public SamplerParams withSeed(long s) {
        return new SamplerParams(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, s);
    }

    boolean penalizes() {
        return repeatLastN != 0 && (repeatPenalty != 1 || frequencyPenalty != 0 || presencePenalty != 0);
    }
}
