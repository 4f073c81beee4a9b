package dev.jseek;

import dev.jseek.gguf.GgufReader;
import dev.jseek.models.ModelFacts;
import dev.jseek.models.TinyDistill;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What llama.cpp's no_alloc load reports, against what it really allocates and what jseek's formulas say. */
class MemoryEstimateTest {
    private static final ContextParams CONTEXT = ContextParams.defaults().withContextSize(2048);

    /**
     * The weights it reports are the weights a real load holds, for every family's generated model: the buffer may
     * exceed the tensors' sum by the backend's alignment of each tensor (V4's F32 norms here), no more.
     */
    @Test
    void theWeightsAreWhatARealLoadHolds() throws IOException {
        for (Path file : List.of(TestModels.tiny(), TestModels.deepSeek32(), TestModels.deepSeek4(),
                TestModels.distill(TinyDistill.Family.QWEN2), TestModels.distill(TinyDistill.Family.LLAMA),
                TestModels.distill(TinyDistill.Family.QWEN3))) {
            MemoryEstimate e = MemoryEstimate.measure(file, ModelParams.defaults(), CONTEXT);
            int tensors = GgufReader.read(file).tensors().size();
            try (Model model = Model.load(file, ModelParams.defaults())) {
                long padding = e.modelBytes() - model.sizeBytes();
                assertTrue(padding >= 0 && padding <= 64L * tensors, file.getFileName() + ": " + e + " against " + model.sizeBytes());
            }
            assertTrue(e.computeBytes() > 0, file.getFileName() + ": " + e);
        }
    }

    /** Where jseek has a formula (proven against llama.cpp's saved state), llama.cpp's measurement agrees with it. */
    @Test
    void theKvCacheEqualsJseeksFormulaWhereThereIsOne() throws IOException {
        for (Path file : List.of(TestModels.tiny(), TestModels.deepSeek32(), TestModels.distill(TinyDistill.Family.QWEN2),
                TestModels.distill(TinyDistill.Family.LLAMA), TestModels.distill(TinyDistill.Family.QWEN3))) {
            ModelFacts facts = ModelFacts.of(GgufReader.read(file));
            MemoryEstimate e = MemoryEstimate.measure(file, ModelParams.defaults(), CONTEXT);
            assertEquals(facts.kvBytesPerToken() * CONTEXT.contextSize(), e.contextBytes(), file.getFileName() + ": " + e);
        }
    }

    /** V4's cache (compressed blocks and a window) has no formula of ours; llama.cpp's grows with the context. */
    @Test
    void v4sKvCacheIsMeasuredAndGrowsWithTheContext() {
        long small = MemoryEstimate.measure(TestModels.deepSeek4(), ModelParams.defaults(), CONTEXT).contextBytes();
        long large = MemoryEstimate.measure(TestModels.deepSeek4(), ModelParams.defaults(), CONTEXT.withContextSize(8192)).contextBytes();
        assertTrue(small > 0 && large > small, small + " then " + large);
    }

    @Test
    void aFileThatIsNotAModelIsOneClearError(@TempDir Path dir) throws IOException {
        Path junk = Files.writeString(dir.resolve("junk.gguf"), "not a model");
        JseekException e = assertThrows(JseekException.class, () -> MemoryEstimate.measure(junk, ModelParams.defaults(), CONTEXT));
        assertTrue(e.getMessage().contains("junk.gguf"), e.getMessage());
    }
}
