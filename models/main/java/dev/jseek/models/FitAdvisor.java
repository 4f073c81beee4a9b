package dev.jseek.models;

import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufTensorInfo;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which settings let a model fit this machine: everything on the GPU, the MoE experts in RAM and the rest on
 * the GPU, some layers' experts in RAM, some layers on the GPU, or CPU only. Sizes are read from the file's
 * tensors; KV cache and compute buffers are the estimates of {@link ModelFacts} (the pinned llama.cpp offers no
 * memory-estimate API). Memory left free for the system: 10 % of RAM, 5 % of VRAM.
 */
public final class FitAdvisor {
    private static final Pattern LAYER = Pattern.compile("^blk\\.(\\d+)\\.");

    /** The advice: flags to pass, where the bytes go, and whether it fits at all. */
    public record Advice(boolean fits, String flags, long gpuBytes, long ramBytes, String explanation) {
    }

    private FitAdvisor() {
    }

    /**
     * @param freeRam  bytes of RAM available
     * @param freeVram bytes free on the (first) GPU; 0 without one
     */
    public static Advice advise(GgufFile file, ModelFacts facts, int context, long freeRam, long freeVram) {
        long ram = (long) (freeRam * 0.9);
        long vram = (long) (freeVram * 0.95);
        long kv = facts.kvBytesPerToken() * context;
        long compute = ModelFacts.COMPUTE_ALLOWANCE_BYTES;
        int layers = Math.max(1, facts.layers());
        long[] expertsPerLayer = new long[layers];
        long[] otherPerLayer = new long[layers];
        long outside = 0; // embeddings, output head, final norm
        for (GgufTensorInfo t : file.tensors()) {
            Matcher m = LAYER.matcher(t.name());
            if (m.find() && Integer.parseInt(m.group(1)) < layers) {
                int layer = Integer.parseInt(m.group(1));
                if (t.name().contains("_exps.")) {
                    expertsPerLayer[layer] += t.byteSize();
                } else {
                    otherPerLayer[layer] += t.byteSize();
                }
            } else {
                outside += t.byteSize();
            }
        }
        long experts = sum(expertsPerLayer);
        long weights = facts.weightBytes();
        if (vram > 0) {
            if (weights + kv + compute <= vram) {
                return new Advice(true, "-ngl -1", weights + kv + compute, 0, "the whole model fits in GPU memory");
            }
            if (experts > 0 && weights - experts + kv + compute <= vram && experts <= ram) {
                // keep experts of the first N layers in RAM, as few as possible
                long onGpu = weights + kv + compute;
                int n = 0;
                while (onGpu > vram && n < layers) {
                    onGpu -= expertsPerLayer[n++];
                }
                String flags = n >= layers - 1 ? "-ngl -1 --cpu-moe" : "-ngl -1 --n-cpu-moe " + n;
                return new Advice(true, flags, onGpu, weights + kv + compute - onGpu,
                        "attention, shared experts and KV cache on the GPU; the routed experts of " + (n >= layers - 1 ? "all" : "the first " + n)
                                + " layers in RAM, where each token reads only " + facts.expertsUsed() + " of " + facts.experts());
            }
            long perLayer = (weights - outside) / layers + kv / layers;
            int gpuLayers = (int) Math.max(0, Math.min(layers, (vram - compute) / Math.max(1, perLayer)));
            long onGpu = gpuLayers * perLayer + compute;
            if (weights + kv + compute - onGpu <= ram) {
                return new Advice(true, "-ngl " + gpuLayers, onGpu, weights + kv + compute - onGpu,
                        gpuLayers + " of " + layers + " layers on the GPU, the rest in RAM");
            }
        }
        long needed = weights + kv + compute;
        if (needed <= ram) {
            return new Advice(true, "-ngl 0", 0, needed, "CPU only: the model fits in RAM");
        }
        return new Advice(false, "", 0, needed, String.format(Locale.ROOT,
                "needs %s but %s of RAM%s is available: use a smaller quantization or context, or spread it over machines (--rpc)",
                ModelFacts.humanBytes(needed), ModelFacts.humanBytes(ram), vram > 0 ? " and " + ModelFacts.humanBytes(vram) + " of VRAM" : ""));
    }

    private static long sum(long[] values) {
        long total = 0;
        for (long v : values) {
            total += v;
        }
        return total;
    }
}
