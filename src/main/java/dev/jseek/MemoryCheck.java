package dev.jseek;

import dev.jseek.gguf.GgufFile;
import dev.jseek.models.ModelFacts;
import java.util.OptionalLong;

/**
 * Refuses, before anything is loaded, a model that is to run from system RAM but is larger than the memory this
 * machine has available. A memory-mapped model that large would still "load" and then page from disk for every
 * token. Only CPU-only loads are checked: with GPU layers or RPC workers the weights go elsewhere.
 */
final class MemoryCheck {
    private MemoryCheck() {
    }

    static void require(GgufFile file, ModelParams params, OptionalLong availableBytes) {
        if (!params.checkMemory() || params.gpuLayers() != 0 || !params.rpcServers().isEmpty() || availableBytes.isEmpty()) {
            return;
        }
        long weights = file.tensorBytes();
        if (weights > availableBytes.getAsLong()) {
            throw new ModelLoadException(file.path() + " needs " + ModelFacts.humanBytes(weights) + " of RAM for its weights but "
                    + "this machine has " + ModelFacts.humanBytes(availableBytes.getAsLong()) + " available; free memory, use a "
                    + "smaller quantization, or put layers on a GPU (-ngl) or on workers (--rpc).");
        }
    }
}
