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
import dev.jseek.gguf.GgufReader;
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

/** Each rule on the real tiny model with one value changed, as a damaged or wrongly converted file would have it. */
class ArchitectureCheckTest {
    @TempDir
    static Path dir;
    static GgufFile tiny;

    @BeforeAll
    static void writeModel() throws IOException {
        tiny = TestVocab.generated(dir, "tiny.gguf", (v, out) -> TinyDeepSeek.write(v, out, TinyDeepSeek.Config.defaults()));
    }

    @Test
    void theTinyModelPasses() {
        assumeTrue(tiny != null);
        assertDoesNotThrow(() -> ArchitectureCheck.verify(tiny));
    }

    @Test
    void anMlaModelWithSeveralKvHeadsIsRefused() {
        // the file that aborted llama.cpp while it built the first graph (../shared/design/LLAMA_CPP.md)
        rejects(m -> m.put("deepseek2.attention.head_count_kv", GgufValue.Int.uint32(4)), "deepseek2.attention.head_count_kv is 4");
    }

    @Test
    void aNonLiteModelWithoutQLoraIsRefused() {
        rejects(m -> m.remove("deepseek2.attention.q_lora_rank"), "deepseek2.attention.q_lora_rank is missing");
    }

    @Test
    void keyLengthsThatDisagreeWithTheLatentAreRefused() {
        rejects(m -> m.put("deepseek2.attention.key_length", GgufValue.Int.uint32(33)), "deepseek2.attention.key_length is 33");
        rejects(m -> m.put("deepseek2.attention.key_length_mla", GgufValue.Int.uint32(8)), "must exceed rope.dimension_count");
    }

    @Test
    void tensorShapesThatDisagreeWithTheMetadataAreRefused() {
        // kv_lora_rank and key_length together, so only the tensors disagree
        rejects(m -> {
            m.put("deepseek2.attention.kv_lora_rank", GgufValue.Int.uint32(16));
            m.put("deepseek2.attention.key_length", GgufValue.Int.uint32(24));
            m.put("deepseek2.attention.value_length", GgufValue.Int.uint32(16));
        }, "tensor blk.0.attn_kv_a_mqa.weight has shape [64, 40]");
        rejects(m -> m.put("deepseek2.expert_count", GgufValue.Int.uint32(16)), "ffn_gate_inp.weight");
    }

    @Test
    void impossibleCountsAreRefused() {
        rejects(m -> m.put("deepseek2.attention.head_count", GgufValue.Int.uint32(0)), "head_count is 0");
        rejects(m -> m.put("deepseek2.expert_used_count", GgufValue.Int.uint32(9)), "expert_used_count is 9");
        rejects(m -> m.put("deepseek2.leading_dense_block_count", GgufValue.Int.uint32(7)), "leading_dense_block_count is 7");
        rejects(m -> m.put("deepseek2.expert_group_count", GgufValue.Int.uint32(3)), "cannot route");
        rejects(m -> m.put("tokenizer.ggml.eos_token_id", GgufValue.Int.uint32(999_999)), "eos_token_id is 999999");
    }

    @Test
    void whatTheFuzzTestFoundCrashingLlamaCppIsRefused() {
        // each of these passed the checks once and aborted llama.cpp in the pre-flight child (bench/FUZZ.md)
        rejects(m -> m.put("deepseek2.expert_gating_func", GgufValue.Int.uint32(5)), "expert_gating_func is 5");
        rejects(m -> setToken(m, 1000, token(m, 999)), "token 1000 equal to token 999");
        // llama.cpp reads up to the NUL: a duplicate for it
        rejects(m -> setToken(m, 1000, token(m, 999) + "\0tail"), "token 1000 equal to token 999");
        assumeTrue(tiny != null);
        var retyped = new ArrayList<>(tiny.tensors());
        var norm = retyped.get(1);
        retyped.set(1, new GgufTensorInfo(norm.name(), norm.shape(), GgmlType.I32, norm.offset()));
        var file = new GgufFile(tiny.path(), tiny.version(), tiny.alignment(), tiny.dataOffset(), tiny.fileSize(),
                tiny.metadata(), retyped);
        assertMessage(file, "is stored as i32");
    }

    @Test
    void aNormOrBiasNotStoredAsF32IsRefused() throws IOException {
        // found by the multi-family fuzz run (bench/FUZZ.md): a qwen3 file with blk.0.attn_k_norm.weight stored as BF16
        // loaded, then killed the process in llama.cpp's CPU binary ops ("binary_op: unsupported types: dst: f32,
        // src0: f32, src1: bf16"); llama-simple dies on it the same way
        assumeTrue(tiny != null);
        Path qwen3Model = dir.resolve("qwen3.gguf");
        var family = TinyDistill.Family.QWEN3;
        TinyDistill.write(TestVocab.path().orElseThrow().resolveSibling(family.vocabFile()), qwen3Model,
                TinyDistill.Config.defaults(family));
        GgufFile qwen3 = GgufReader.read(qwen3Model);
        assertDoesNotThrow(() -> ArchitectureCheck.verify(qwen3));
        assertMessage(retyped(qwen3, "blk.0.attn_k_norm.weight", GgmlType.BF16),
                "tensor blk.0.attn_k_norm.weight is stored as bf16, but llama.cpp adds or multiplies 1-D tensors");
        assertMessage(retyped(tiny, "blk.0.attn_norm.weight", GgmlType.F16), "tensor blk.0.attn_norm.weight is stored as f16");
        assertMessage(retyped(tiny, "output_norm.weight", GgmlType.Q8_0), "tensor output_norm.weight is stored as q8_0");
        // a matrix may be stored in any float or quantized type
        assertDoesNotThrow(() -> ArchitectureCheck.verify(retyped(tiny, "blk.0.attn_q_a.weight", GgmlType.BF16)));
    }

    /** {@code source} with one tensor's type changed (the data is not read by the checks). */
    static GgufFile retyped(GgufFile source, String tensor, GgmlType type) {
        var tensors = new ArrayList<GgufTensorInfo>();
        for (GgufTensorInfo t : source.tensors()) {
            tensors.add(t.name().equals(tensor) ? new GgufTensorInfo(t.name(), t.shape(), type, t.offset()) : t);
        }
        assertTrue(!tensors.equals(source.tensors()), "no tensor " + tensor);
        return new GgufFile(source.path(), source.version(), source.alignment(), source.dataOffset(), source.fileSize(),
                source.metadata(), tensors);
    }

    @Test
    void distillFamiliesNeedWholeHeadsAndKvGroups() {
        assumeTrue(tiny != null);
        Map<String, GgufValue> qwen = new LinkedHashMap<>();
        qwen.put("general.architecture", new GgufValue.Str("qwen2"));
        qwen.put("qwen2.block_count", GgufValue.Int.uint32(2));
        qwen.put("qwen2.embedding_length", GgufValue.Int.uint32(64));
        qwen.put("qwen2.attention.head_count", GgufValue.Int.uint32(4));
        qwen.put("qwen2.attention.head_count_kv", GgufValue.Int.uint32(2));
        assertDoesNotThrow(() -> ArchitectureCheck.verify(file(qwen)));
        qwen.put("qwen2.attention.head_count_kv", GgufValue.Int.uint32(3));
        assertMessage(file(qwen), "not a multiple of attention.head_count_kv 3");
        qwen.put("qwen2.attention.head_count_kv", GgufValue.Int.uint32(0));
        assertMessage(file(qwen), "head_count_kv is 0");
        qwen.put("qwen2.attention.head_count_kv", GgufValue.Int.uint32(2));
        qwen.put("qwen2.rope.dimension_count", GgufValue.Int.uint32(17));
        assertMessage(file(qwen), "rope.dimension_count is 17");
        // llama.cpp's qwen2, qwen3 and llama graphs assert that RoPE covers the whole head, and that key and value heads
        // are the same size: the multi-family fuzz run's qwen2 file with rope.dimension_count 2 aborted the child
        qwen.put("qwen2.rope.dimension_count", GgufValue.Int.uint32(2));
        assertMessage(file(qwen), "rope.dimension_count is 2 but must equal the head size 16");
        qwen.put("qwen2.rope.dimension_count", GgufValue.Int.uint32(16));
        assertDoesNotThrow(() -> ArchitectureCheck.verify(file(qwen)));
        qwen.put("qwen2.attention.value_length", GgufValue.Int.uint32(8));
        assertMessage(file(qwen), "attention.value_length is 8 but must equal the key head size 16");
    }

    private static void rejects(Consumer<Map<String, GgufValue>> change, String expected) {
        assumeTrue(tiny != null);
        Map<String, GgufValue> values = new LinkedHashMap<>(tiny.metadata().asMap());
        change.accept(values);
        assertMessage(file(values), expected);
    }

    private static GgufFile file(Map<String, GgufValue> values) {
        return new GgufFile(tiny.path(), tiny.version(), tiny.alignment(), tiny.dataOffset(), tiny.fileSize(),
                new GgufMetadata(tiny.path().toString(), values), values.containsKey("qwen2.block_count") ? List.of() : tiny.tensors());
    }

    private static void assertMessage(GgufFile file, String expected) {
        var e = assertThrows(GgufFormatException.class, () -> ArchitectureCheck.verify(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith(file.path().toString()), "names the file: " + e.getMessage());
    }

    private static String token(Map<String, GgufValue> metadata, int index) {
        return ((GgufArray) metadata.get("tokenizer.ggml.tokens")).getString(index);
    }

    private static void setToken(Map<String, GgufValue> metadata, int index, String text) {
        List<String> tokens = new ArrayList<>(((GgufArray) metadata.get("tokenizer.ggml.tokens")).strings());
        tokens.set(index, text);
        metadata.put("tokenizer.ggml.tokens", GgufArray.ofStrings(tokens));
    }
}
