package dev.jseek.models;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Real DeepSeek GGUFs, as published on Hugging Face by unsloth and bartowski. Sizes and memory are the
 * publishers' figures, rounded; no file was downloaded from here (this machine has no route to Hugging Face),
 * so the addresses are as published, not verified, and no entry has a checksum of its own (one cannot be taken
 * without the file). Downloads are checked against the SHA-256 Hugging Face sends for every LFS file, as
 * {@code X-Linked-ETag} on the redirect from {@code resolve/main/…} to its CDN.
 */
public final class Catalog {
    private static final String HF = "https://huggingface.co/";
    private static final long GB = 1_000_000_000L;

    private static final List<CatalogEntry> ENTRIES = List.of(
            distill("r1-distill-qwen-1.5b", "DeepSeek-R1-Distill-Qwen-1.5B", "qwen2", 1.1, 2, "any laptop; CPU is fine"),
            distill("r1-distill-qwen-7b", "DeepSeek-R1-Distill-Qwen-7B", "qwen2", 4.7, 6, "16 GB laptop; -ngl -1 on an 8 GB GPU"),
            distill("r1-distill-llama-8b", "DeepSeek-R1-Distill-Llama-8B", "llama", 4.9, 7, "16 GB laptop; -ngl -1 on an 8 GB GPU"),
            distill("r1-distill-qwen-14b", "DeepSeek-R1-Distill-Qwen-14B", "qwen2", 9.0, 11, "32 GB RAM, or a 12 GB GPU with -ngl -1"),
            distill("r1-distill-qwen-32b", "DeepSeek-R1-Distill-Qwen-32B", "qwen2", 19.9, 23, "64 GB RAM, or a 24 GB GPU with -ngl -1"),
            distill("r1-distill-llama-70b", "DeepSeek-R1-Distill-Llama-70B", "llama", 42.5, 46, "64 GB RAM plus a GPU for part of the layers"),
            new CatalogEntry("v2-lite-chat", "DeepSeek-V2-Lite-Chat", "DeepSeek-V2-Lite: MoE, 16B total, 2.4B active", "Q4_K_M",
                    (long) (10.4 * GB), 12, "16 GB RAM, fast on CPU (few active weights); --preset v2",
                    List.of(HF + "bartowski/DeepSeek-V2-Lite-Chat-GGUF/resolve/main/DeepSeek-V2-Lite-Chat-Q4_K_M.gguf"), List.of()),
            new CatalogEntry("coder-v2-lite-instruct", "DeepSeek-Coder-V2-Lite-Instruct", "DeepSeek-Coder-V2-Lite: MoE, 16B total, 2.4B active",
                    "Q4_K_M", (long) (10.4 * GB), 12, "16 GB RAM; --preset coder",
                    List.of(HF + "bartowski/DeepSeek-Coder-V2-Lite-Instruct-GGUF/resolve/main/DeepSeek-Coder-V2-Lite-Instruct-Q4_K_M.gguf"),
                    List.of()),
            split("r1-iq1-s", "DeepSeek-R1", "DeepSeek-R1 itself: MoE, 671B total, 37B active", "UD-IQ1_S", 131, 140,
                    "a 24 GB GPU plus 128 GB RAM: -ngl -1 with experts on CPU, or several machines (--rpc)",
                    "unsloth/DeepSeek-R1-GGUF/resolve/main/DeepSeek-R1-UD-IQ1_S/DeepSeek-R1-UD-IQ1_S", 3),
            split("r1-q4-k-m", "DeepSeek-R1", "DeepSeek-R1 itself: MoE, 671B total, 37B active", "Q4_K_M", 404, 420,
                    "several machines (--rpc), or 512 GB RAM; experts on CPU with attention on a GPU",
                    "unsloth/DeepSeek-R1-GGUF/resolve/main/DeepSeek-R1-Q4_K_M/DeepSeek-R1-Q4_K_M", 9),
            split("v3-q4-k-m", "DeepSeek-V3", "DeepSeek-V3: MoE, 671B total, 37B active (chat, no reasoning trace)", "Q4_K_M", 404, 420,
                    "several machines (--rpc), or 512 GB RAM; --preset v3",
                    "unsloth/DeepSeek-V3-GGUF/resolve/main/DeepSeek-V3-Q4_K_M/DeepSeek-V3-Q4_K_M", 9));

    private Catalog() {
    }

    public static List<CatalogEntry> entries() {
        return ENTRIES;
    }

    public static Optional<CatalogEntry> find(String name) {
        String wanted = name.toLowerCase(Locale.ROOT);
        return ENTRIES.stream().filter(e -> e.name().equals(wanted)).findFirst();
    }

    private static CatalogEntry distill(String name, String model, String arch, double gb, int ram, String advice) {
        return new CatalogEntry(name, model, "R1-Distill: a dense " + arch + " model trained on R1's reasoning, not R1 itself",
                "Q4_K_M", (long) (gb * GB), ram, advice + "; --preset r1",
                List.of(HF + "unsloth/" + model + "-GGUF/resolve/main/" + model + "-Q4_K_M.gguf"), List.of());
    }

    private static CatalogEntry split(String name, String model, String kind, String quant, int gb, int ram, String advice,
                                      String prefix, int parts) {
        List<String> urls = IntStream.rangeClosed(1, parts)
                .mapToObj(i -> HF + prefix + String.format(Locale.ROOT, "-%05d-of-%05d.gguf", i, parts)).toList();
        return new CatalogEntry(name, model, kind, quant, gb * GB, ram, advice, urls, List.of());
    }
}
