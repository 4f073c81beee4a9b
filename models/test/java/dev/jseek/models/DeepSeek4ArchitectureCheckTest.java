package dev.jseek.models;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufArray;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufFormatException;
import dev.jseek.gguf.GgufMetadata;
import dev.jseek.gguf.GgufTensorInfo;
import dev.jseek.gguf.GgufValue;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deepseek4 rules on the tiny V4 model with one thing changed. Each changed file was run through the pinned
 * llama.cpp's llama-simple: it loads, then aborts building the first graph (GGML_ASSERT, or SIGFPE for the missing
 * indexer).
 */
class DeepSeek4ArchitectureCheckTest {
    @TempDir
    static Path dir;
    static GgufFile tiny;

    @BeforeAll
    static void writeModel() throws IOException {
        tiny = TestVocab.generated(dir, "tiny4.gguf", (v, out) -> TinyDeepSeek4.write(v, out, TinyDeepSeek4.Config.defaults()));
    }

    @Test
    void theTinyModelPassesWithItsIntegerHashTable() {
        assumeTrue(tiny != null);
        assertDoesNotThrow(() -> ArchitectureCheck.verify(tiny));
    }

    @Test
    void anIntegerTensorOtherThanTheHashTableIsRefused() {
        assumeTrue(tiny != null);
        List<GgufTensorInfo> tensors = new ArrayList<>();
        for (GgufTensorInfo t : tiny.tensors()) {
            tensors.add(t.name().equals("blk.1.exp_probs_b.bias") ? new GgufTensorInfo(t.name(), t.shape(), GgmlType.I32, t.offset()) : t);
        }
        assertMessage(file(new LinkedHashMap<>(tiny.metadata().asMap()), tensors), "tensor blk.1.exp_probs_b.bias is stored as i32");
    }

    @Test
    void aVectorNotStoredAsF32IsRefused() {
        // llama-simple on the file with hc_attn_base in BF16: GGML_ASSERT(base->type == GGML_TYPE_F32) building the
        // first graph. A matrix in BF16 runs (and so, with llama.cpp v0.5.0, does a compressor's 2-D position embedding
        // in F16), so only 1-D tensors are held to F32.
        assumeTrue(tiny != null);
        assertMessage(ArchitectureCheckTest.retyped(tiny, "blk.0.hc_attn_base.weight", GgmlType.BF16),
                "tensor blk.0.hc_attn_base.weight is stored as bf16");
        assertMessage(ArchitectureCheckTest.retyped(tiny, "blk.1.attn_sinks.weight", GgmlType.F16),
                "tensor blk.1.attn_sinks.weight is stored as f16");
        assertDoesNotThrow(() -> ArchitectureCheck.verify(ArchitectureCheckTest.retyped(tiny, "blk.0.attn_kv.weight", GgmlType.BF16)));
        assertDoesNotThrow(() -> ArchitectureCheck.verify(
                ArchitectureCheckTest.retyped(tiny, "blk.1.attn_compressor_ape.weight", GgmlType.F16)));
    }

    @Test
    void aMissingOrImpossibleExpertUsedCountIsRefused() {
        // the multi-family fuzz run: without it llama.cpp aborted on GGML_ASSERT(n_expert_used_max > 0) in the child
        rejects(m -> m.remove("deepseek4.expert_used_count"), "deepseek4.expert_used_count is missing");
        rejects(m -> m.put("deepseek4.expert_used_count", GgufValue.Int.uint32(9)), "deepseek4.expert_used_count is 9 but must be in 1..8");
        rejects(m -> m.put("deepseek4.expert_count", GgufValue.Int.uint32(1000)), "deepseek4.expert_count is 1000");
    }

    @Test
    void moreThanOneKeyValueHeadIsRefused() {
        // GGML_ASSERT(a->ne[0] == b->ne[0])
        rejects(m -> m.put("deepseek4.attention.head_count_kv", GgufValue.Int.uint32(2)), "deepseek4.attention.head_count_kv is 2");
    }

    @Test
    void aValueLengthOtherThanTheKeyLengthIsRefused() {
        // GGML_ASSERT(n_embd_head == n_embd_head_v)
        rejects(m -> m.put("deepseek4.attention.value_length", GgufValue.Int.uint32(16)), "deepseek4.attention.value_length is 16");
    }

    @Test
    void aRopeLongerThanTheHeadIsRefused() {
        // GGML_ASSERT(n_offs >= 0) in the rope of the head's tail
        rejects(m -> m.put("deepseek4.rope.dimension_count", GgufValue.Int.uint32(48)), "deepseek4.rope.dimension_count is 48");
    }

    @Test
    void ratiosWithoutAnIndexedBlockAreRefused() {
        // SIGFPE sizing the indexer cache's rotation
        rejects(m -> m.put("deepseek4.attention.compress_ratios", GgufArray.ofInt32(0, 128, 0)), "has no block with ratio 4");
    }

    @Test
    void anIndexerKeyLengthThatIsNotAMultipleOf64IsRefused() {
        // GGML_ASSERT(ggml_nelements(a) == ne0*ne1) reshaping for the 64-wide Hadamard rotation
        rejects(m -> m.put("deepseek4.attention.indexer.key_length", GgufValue.Int.uint32(48)),
                "deepseek4.attention.indexer.key_length is 48 but must be a multiple of 64");
    }

    private static void rejects(Consumer<Map<String, GgufValue>> change, String expected) {
        assumeTrue(tiny != null);
        Map<String, GgufValue> values = new LinkedHashMap<>(tiny.metadata().asMap());
        change.accept(values);
        assertMessage(file(values, tiny.tensors()), expected);
    }

    private static GgufFile file(Map<String, GgufValue> values, List<GgufTensorInfo> tensors) {
        return new GgufFile(tiny.path(), tiny.version(), tiny.alignment(), tiny.dataOffset(), tiny.fileSize(),
                new GgufMetadata(tiny.path().toString(), values), tensors);
    }

    private static void assertMessage(GgufFile file, String expected) {
        var e = assertThrows(GgufFormatException.class, () -> ArchitectureCheck.verify(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
