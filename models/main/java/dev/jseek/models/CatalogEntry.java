package dev.jseek.models;

import java.util.List;
import java.util.Objects;

/**
 * A real DeepSeek GGUF that jseek can download.
 *
 * @param name        what users type: {@code jseek pull r1-distill-qwen-7b}
 * @param model       the model, as DeepSeek names it
 * @param kind        what it is in plain words (R1 itself, or a distill of it, or V2-Lite …)
 * @param quant       the quantization of these files
 * @param sizeBytes   total download size, approximately (from the publisher's listing)
 * @param memoryGiB   RAM (or VRAM + RAM) it needs at 4096 tokens of context, approximately
 * @param advice      recommended hardware and flags
 * @param urls        the file, or all parts of a split file in order
 * @param sha256      checksums per file, or an empty list when the catalog has none (the server's may be used)
 */
public record CatalogEntry(String name, String model, String kind, String quant, long sizeBytes, int memoryGiB,
                           String advice, List<String> urls, List<String> sha256) {
    public CatalogEntry {
        Objects.requireNonNull(name);
        urls = List.copyOf(urls);
        sha256 = List.copyOf(sha256);
        if (urls.isEmpty() || (!sha256.isEmpty() && sha256.size() != urls.size())) {
            throw new IllegalArgumentException(name + ": one checksum per file, or none");
        }
    }
}
