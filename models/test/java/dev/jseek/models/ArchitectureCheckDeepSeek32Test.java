package dev.jseek.models;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufFormatException;
import dev.jseek.gguf.GgufMetadata;
import dev.jseek.gguf.GgufValue;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deepseek32's indexer rules on the real tiny V3.2 model with one value changed, as in {@code ArchitectureCheckTest}. */
class ArchitectureCheckDeepSeek32Test {
    @TempDir
    static Path dir;
    static GgufFile tiny;

    @BeforeAll
    static void writeModel() throws IOException {
        tiny = TestVocab.generated(dir, "tiny-v32.gguf", (v, out) -> TinyDeepSeek32.write(v, out, TinyDeepSeek32.Config.defaults()));
    }

    @Test
    void theTinyV32ModelPasses() {
        assumeTrue(tiny != null);
        assertDoesNotThrow(() -> ArchitectureCheck.verify(tiny));
    }

    @Test
    void anIndexerKeyShorterThanTheRotaryPartIsRefused() {
        // deepseek32.cpp: GGML_ASSERT(hparams.n_rot() <= n_embd_indexer_head)
        rejects(m -> m.put("deepseek32.attention.indexer.key_length", GgufValue.Int.uint32(4)),
                "indexer.key_length is 4 but must be at least rope.dimension_count (8)");
    }

    @Test
    void anIndexerKeyThatIsNoPowerOfTwoFrom64IsRefused() {
        // the tiny model with index_head_dim 32 or 192 aborted llama-simple in ggml_mul_mat (the Hadamard rotation is
        // 64 and 64 wide there); 64 and 128 run
        rejects(m -> m.put("deepseek32.attention.indexer.key_length", GgufValue.Int.uint32(32)),
                "indexer.key_length is 32 but must be a power of two, at least 64");
        rejects(m -> m.put("deepseek32.attention.indexer.key_length", GgufValue.Int.uint32(192)),
                "indexer.key_length is 192 but must be a power of two, at least 64");
    }

    @Test
    void indexerTensorsThatDisagreeWithTheMetadataAreRefused() {
        rejects(m -> m.put("deepseek32.attention.indexer.head_count", GgufValue.Int.uint32(8)),
                "tensor blk.0.indexer.proj.weight has shape [64, 4] but the metadata says [64, 8]");
        rejects(m -> m.put("deepseek32.attention.indexer.key_length", GgufValue.Int.uint32(128)),
                "tensor blk.0.indexer.k_norm.weight has shape [64] but the metadata says [128]");
        rejects(m -> m.put("deepseek32.attention.q_lora_rank", GgufValue.Int.uint32(16)),
                "tensor blk.0.indexer.attn_q_b.weight has shape [48, 256] but the metadata says [16, 256]");
    }

    @Test
    void missingOrZeroIndexerValuesAreRefused() {
        rejects(m -> m.put("deepseek32.attention.indexer.head_count", GgufValue.Int.uint32(0)), "indexer.head_count is 0");
        rejects(m -> m.remove("deepseek32.attention.indexer.key_length"), "indexer.key_length is missing");
        rejects(m -> m.remove("deepseek32.attention.q_lora_rank"), "q_lora_rank is missing");
        rejects(m -> m.remove("deepseek32.attention.key_length_mla"), "deepseek32 runs only as MLA");
    }

    @Test
    void twentySevenBlocksAreNotReadAsV2LiteForDeepSeek32() {
        // only deepseek2 loads 26 or 27 blocks as V2-Lite (attn_q, no q_lora); deepseek32 always has attn_q_a
        assumeTrue(tiny != null);
        Map<String, GgufValue> values = new LinkedHashMap<>(tiny.metadata().asMap());
        values.put("deepseek32.block_count", GgufValue.Int.uint32(27));
        assertDoesNotThrow(() -> ArchitectureCheck.verify(file(values)));
    }

    private static void rejects(Consumer<Map<String, GgufValue>> change, String expected) {
        assumeTrue(tiny != null);
        Map<String, GgufValue> values = new LinkedHashMap<>(tiny.metadata().asMap());
        change.accept(values);
        var e = assertThrows(GgufFormatException.class, () -> ArchitectureCheck.verify(file(values)));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith(tiny.path().toString()), "names the file: " + e.getMessage());
    }

    private static GgufFile file(Map<String, GgufValue> values) {
        return new GgufFile(tiny.path(), tiny.version(), tiny.alignment(), tiny.dataOffset(), tiny.fileSize(),
                new GgufMetadata(tiny.path().toString(), values), tiny.tensors());
    }
}
