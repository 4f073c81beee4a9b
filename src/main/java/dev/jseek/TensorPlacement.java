package dev.jseek;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Puts the weights whose names match a regex on a given device, whatever the GPU layer count says (llama.cpp's
 * tensor buffer-type overrides, {@code -ot}). The usual one for DeepSeek's MoE models keeps the routed experts,
 * most of the weights but few of them used per token, in system RAM, and the rest (attention, shared
 * experts) on the GPU.
 *
 * @param pattern a regex over tensor names, e.g. {@code blk\.[0-9]+\.ffn_.*_exps}
 * @param device  a device name as {@link Backend#devices()} lists them, e.g. "CPU", "CUDA0", "RPC0"
 */
public record TensorPlacement(String pattern, String device) {
    /** llama.cpp's pattern for routed-expert weights (LLM_FFN_EXPS_REGEX). */
    static final String EXPERTS = "\\.ffn_(up|down|gate|gate_up)_(ch|)exps";

    public TensorPlacement {
        Objects.requireNonNull(pattern, "pattern");
        Objects.requireNonNull(device, "device");
        Pattern.compile(pattern); // fail here, in Java, rather than inside llama.cpp's std::regex
    }

    /** All routed experts in system RAM ({@code --cpu-moe}). */
    public static TensorPlacement expertsOnCpu() {
        return new TensorPlacement(EXPERTS, "CPU");
    }

    /** The routed experts of layer {@code layer} in system RAM ({@code --n-cpu-moe} adds one per layer). */
    public static TensorPlacement layerExpertsOnCpu(int layer) {
        return new TensorPlacement("blk\\." + layer + EXPERTS, "CPU");
    }

    /** Parses {@code PATTERN=DEVICE}, llama.cpp's -ot syntax. */
    public static TensorPlacement parse(String spec) {
        int eq = spec.lastIndexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) {
            throw new IllegalArgumentException("a tensor override is PATTERN=DEVICE (e.g. exps=CPU), not '" + spec + "'");
        }
        return new TensorPlacement(spec.substring(0, eq), spec.substring(eq + 1));
    }
}
