package dev.jseek.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jseek.gguf.GgufReader;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinyDeepSeek32Test {
    @Test
    void eachBlockHasTheIndexersFiveTensorsWithTheConfigsShapes() {
        var cfg = TinyDeepSeek32.Config.defaults();
        var plan = TinyDeepSeek32.plan(cfg, 1000);
        assertEquals(DeepSeek2Tensors.plan(cfg.base(), 1000).size() + 5 * cfg.base().blockCount(), plan.size());
        var byName = new java.util.HashMap<String, long[]>();
        plan.forEach(t -> byName.put(t.name(), t.shape()));
        for (int i = 0; i < cfg.base().blockCount(); i++) {
            String b = "blk." + i + ".indexer.";
            assertArrayEquals(new long[] {64}, byName.get(b + "k_norm.weight"));
            assertArrayEquals(new long[] {64}, byName.get(b + "k_norm.bias"));
            assertArrayEquals(new long[] {64, 4}, byName.get(b + "proj.weight"));
            assertArrayEquals(new long[] {64, 64}, byName.get(b + "attn_k.weight"));
            assertArrayEquals(new long[] {48, 4 * 64}, byName.get(b + "attn_q_b.weight"));
        }
    }

    @Test
    void theConfigRefusesWhatLlamaCppCannotRun() {
        var base = TinyDeepSeek.Config.defaults();
        assertThrows(IllegalArgumentException.class, () -> new TinyDeepSeek32.Config(base, 4, 32, 8));
        assertThrows(IllegalArgumentException.class, () -> new TinyDeepSeek32.Config(base, 4, 192, 8));
        assertThrows(IllegalArgumentException.class, () -> new TinyDeepSeek32.Config(TinyDeepSeek.Config.v2LiteShape(), 4, 64, 8));
        assertThrows(IllegalArgumentException.class, () -> new TinyDeepSeek32.Config(base, 0, 64, 8));
        assertThrows(IllegalArgumentException.class, () -> new TinyDeepSeek32.Config(base, 4, 64, 0));
        assertDoesNotThrow(() -> new TinyDeepSeek32.Config(base, 4, 128, 8));
    }

    @Test
    void theV32ShapeWritesSparseAndPassesTheCheck(@TempDir Path dir) throws Exception {
        Path vocab = TestVocab.path().orElse(null);
        assumeTrue(vocab != null);
        Path out = dir.resolve("v32.gguf");
        TinyDeepSeek32.writeSparse(vocab, out, TinyDeepSeek32.Config.v32Shape());
        var file = GgufReader.read(out);
        ArchitectureCheck.verify(file);
        assertEquals(2048, file.metadata().getInt("deepseek32.attention.indexer.top_k"));
        assertEquals(128, file.metadata().getInt("deepseek32.attention.indexer.key_length"));
        assertEquals(64, file.metadata().getInt("deepseek32.attention.indexer.head_count"));
        assertTrue(file.fileSize() > 1_000_000_000_000L, "R1-sized: " + file.fileSize());
    }
}
