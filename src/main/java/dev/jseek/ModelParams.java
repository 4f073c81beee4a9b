package dev.jseek;

/**
 * How to load a model.
 *
 * @param gpuLayers layers to offload to GPUs: 0 for none, -1 for all (llama.cpp's n_gpu_layers)
 * @param useMmap   map the file instead of reading it (weights are shared with the page cache)
 * @param useMlock  lock the weights in RAM so the OS cannot swap them out
 * @param progress  called with 0..1 while the weights load; null for none
 * @param placements tensor placements that override the GPU layer count (e.g. MoE experts on the CPU)
 * @param rpcServers host:port of RPC workers whose devices the model may be spread over (multi-machine)
 * @param preflight  dry-run the load of a file not seen before in a child process first (metadata, tensor shapes
 *                   and graphs; no weight is read), so a file that makes llama.cpp abort ends that child instead of
 *                   this one ({@link Preflight})
 * @param checkMemory refuse, before loading, a CPU-only model larger than this machine's available memory, and,
 *                    before creating it, a context whose KV cache and compute buffers do not fit in what its devices
 *                    have free ({@link Model#newContext})
 */
public record ModelParams(int gpuLayers, boolean useMmap, boolean useMlock, LoadProgress progress,
                          java.util.List<TensorPlacement> placements, java.util.List<String> rpcServers,
                          boolean preflight, boolean checkMemory) {

    public ModelParams {
        if (gpuLayers < -1) {
            throw new IllegalArgumentException("gpuLayers must be -1 (all), 0 (none) or a layer count, not " + gpuLayers);
        }
        placements = java.util.List.copyOf(placements);
        rpcServers = java.util.List.copyOf(rpcServers);
        for (String server : rpcServers) {
            if (!server.matches("[^\\s:]+:\\d{1,5}")) {
                throw new IllegalArgumentException("an RPC server is host:port, not '" + server + "'");
            }
        }
    }

    /** CPU only, memory-mapped, no progress reports, pre-flight and memory check on. */
    public static ModelParams defaults() {
        return new ModelParams(0, true, false, null, java.util.List.of(), java.util.List.of(), true, true);
    }

    /**
     * Off for files this process has reason to trust (generated models), or when the user says so (the cli's
     * {@code --no-preflight}): a file that makes llama.cpp abort then ends this process.
     */
    public ModelParams withPreflight(boolean on) {
        return new ModelParams(gpuLayers, useMmap, useMlock, progress, placements, rpcServers, on, checkMemory);
    }

    public ModelParams withMemoryCheck(boolean on) {
        return new ModelParams(gpuLayers, useMmap, useMlock, progress, placements, rpcServers, preflight, on);
    }

    public ModelParams withGpuLayers(int layers) {
        return new ModelParams(layers, useMmap, useMlock, progress, placements, rpcServers, preflight, checkMemory);
    }

    public ModelParams withMmap(boolean mmap) {
        return new ModelParams(gpuLayers, mmap, useMlock, progress, placements, rpcServers, preflight, checkMemory);
    }

    public ModelParams withMlock(boolean mlock) {
        return new ModelParams(gpuLayers, useMmap, mlock, progress, placements, rpcServers, preflight, checkMemory);
    }

    public ModelParams withProgress(LoadProgress listener) {
        return new ModelParams(gpuLayers, useMmap, useMlock, listener, placements, rpcServers, preflight, checkMemory);
    }

    /** Adds tensor placements (later ones are consulted after earlier ones, as in llama.cpp). */
    public ModelParams withPlacements(java.util.List<TensorPlacement> more) {
        java.util.List<TensorPlacement> all = new java.util.ArrayList<>(placements);
        all.addAll(more);
        return new ModelParams(gpuLayers, useMmap, useMlock, progress, all, rpcServers, preflight, checkMemory);
    }

    /** Spreads the model over these RPC workers' devices too (with gpuLayers, like GPUs). */
    public ModelParams withRpcServers(java.util.List<String> servers) {
        return new ModelParams(gpuLayers, useMmap, useMlock, progress, placements, servers, preflight, checkMemory);
    }

    /** Receives load progress; return false to abandon the load (it then fails with a ModelLoadException). */
    @FunctionalInterface
    public interface LoadProgress {
        boolean onProgress(float fraction);
    }
}
