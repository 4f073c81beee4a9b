package dev.jseek;

/**
 * How to load a model.
 *
 * @param gpuLayers layers to offload to GPUs: 0 for none, -1 for all (llama.cpp's n_gpu_layers)
 * @param useMmap   map the file instead of reading it (weights are shared with the page cache)
 * @param useMlock  lock the weights in RAM so the OS cannot swap them out
 * @param progress  called with 0..1 while the weights load; null for none
 */
public record ModelParams(int gpuLayers, boolean useMmap, boolean useMlock, LoadProgress progress) {

    public ModelParams {
        if (gpuLayers < -1) {
            throw new IllegalArgumentException("gpuLayers must be -1 (all), 0 (none) or a layer count, not " + gpuLayers);
        }
    }

    /** CPU only, memory-mapped, no progress reports. */
    public static ModelParams defaults() {
        return new ModelParams(0, true, false, null);
    }

    public ModelParams withGpuLayers(int layers) {
        return new ModelParams(layers, useMmap, useMlock, progress);
    }

    public ModelParams withMmap(boolean mmap) {
        return new ModelParams(gpuLayers, mmap, useMlock, progress);
    }

    public ModelParams withMlock(boolean mlock) {
        return new ModelParams(gpuLayers, useMmap, mlock, progress);
    }

    public ModelParams withProgress(LoadProgress listener) {
        return new ModelParams(gpuLayers, useMmap, useMlock, listener);
    }

    /** Receives load progress; return false to abandon the load (it then fails with a ModelLoadException). */
    @FunctionalInterface
    public interface LoadProgress {
        boolean onProgress(float fraction);
    }
}
