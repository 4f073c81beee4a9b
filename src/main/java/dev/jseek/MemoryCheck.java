package dev.jseek;

import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufFormatException;
import dev.jseek.gguf.GgufReader;
import dev.jseek.models.ModelFacts;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Refuses, before anything is loaded, a model that is to run from system RAM but is larger than the memory this
 * machine has available. A memory-mapped model that large would still "load" and then page from disk for every
 * token. Only CPU-only loads are checked: with GPU layers or RPC workers the weights go elsewhere. A split model
 * counts all its parts.
 */
final class MemoryCheck {
    /** llama.cpp's split file names (llama_split_path): PREFIX-00001-of-00003.gguf. */
    private static final Pattern SPLIT_NAME = Pattern.compile("(.*)-(\\d{5})-of-(\\d{5})\\.gguf");

    private MemoryCheck() {
    }

    static void require(GgufFile file, ModelParams params, OptionalLong availableBytes) {
        if (!params.checkMemory() || params.gpuLayers() != 0 || !params.rpcServers().isEmpty() || availableBytes.isEmpty()) {
            return;
        }
        int parts = partCount(file);
        long weights = weightBytes(file, parts);
        if (weights > availableBytes.getAsLong()) {
            throw new ModelLoadException(file.path() + " needs " + ModelFacts.humanBytes(weights) + " of RAM for its weights"
                    + (parts > 1 ? " (all " + parts + " parts)" : "") + " but this machine has "
                    + ModelFacts.humanBytes(availableBytes.getAsLong()) + " available; free memory, use a smaller quantization, "
                    + "or put layers on a GPU (-ngl) or on workers (--rpc).");
        }
    }

    /** How many files the model is split into (split.count, written by llama-gguf-split); 1 for a whole file. */
    private static int partCount(GgufFile file) {
        try {
            return Math.max(1, file.metadata().getInt("split.count", 1));
        } catch (GgufFormatException e) {
            return 1; // an odd count is for the loader to refuse; the check counts what it can
        }
    }

    /**
     * The weights of every part that is there, named as llama.cpp names them; a part missing or unreadable is
     * the loader's to report, so it is not counted here.
     */
    static long weightBytes(GgufFile file, int parts) {
        Matcher name = SPLIT_NAME.matcher(file.path().getFileName().toString());
        if (parts <= 1 || !name.matches()) {
            return file.tensorBytes();
        }
        long total = 0;
        for (int i = 1; i <= parts; i++) {
            Path part = file.path().resolveSibling(String.format(Locale.ROOT, "%s-%05d-of-%05d.gguf", name.group(1), i, parts));
            if (part.equals(file.path())) {
                total += file.tensorBytes();
            } else if (Files.isRegularFile(part)) {
                try {
                    total += GgufReader.read(part).tensorBytes();
                } catch (IOException e) {
                    // counted as nothing: the loader names the broken part
                }
            }
        }
        return total;
    }
}
