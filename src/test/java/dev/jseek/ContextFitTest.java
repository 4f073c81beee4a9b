package dev.jseek;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A context that cannot fit is refused before llama.cpp allocates it, naming the largest that does. */
class ContextFitTest {
    private static final ContextParams SMALL = ContextParams.defaults().withContextSize(1024);

    /** System memory's bytes for a context of n tokens as ContextFit counts them: llama.cpp's estimate plus the cells. */
    private static long hostNeed(int n) {
        MemoryEstimate e = MemoryEstimate.measure(TestModels.tiny(), ModelParams.defaults(), SMALL.withContextSize(n));
        long padded = (n + 255L) / 256 * 256;
        return e.contextBytes() + e.computeBytes() + ContextFit.CELL_BYTES * padded;
    }

    /** Peak resident memory of this JVM (Linux). */
    private static long peakRss() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM:"))
                .mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")) * 1024).findFirst().orElseThrow();
    }

    /**
     * `-c 999999999` used to allocate for a minute (18.8 GB resident) and end in std::bad_alloc. Now: one sentence,
     * at once, and the measurement itself never builds the huge context's bookkeeping (52 GB at that size).
     */
    @Test
    void aContextFarTooLargeIsRefusedAtOnceInOneSentenceWithoutGrowingThisProcess() throws IOException {
        try (Model model = Model.load(TestModels.tiny(), ModelParams.defaults())) {
            long before = peakRss();
            long start = System.nanoTime();
            ContextSizeException e = assertThrows(ContextSizeException.class,
                    () -> model.newContext(SMALL.withContextSize(999_999_999)));
            long millis = (System.nanoTime() - start) / 1_000_000;
            long grown = peakRss() - before;
            String m = e.getMessage();
            assertTrue(m.startsWith("A context of 999999999 tokens needs ") && m.contains("of system memory")
                    && m.contains("the largest that fits is " + e.largestFitting() + " tokens (-c " + e.largestFitting() + ")"), m);
            assertEquals(1, m.lines().count(), m);
            assertTrue(m.endsWith(".") && !m.contains(". "), "one sentence: " + m);
            assertTrue(e.largestFitting() > 0 && e.largestFitting() % 256 == 0 && e.largestFitting() < 999_999_999, m);
            assertTrue(grown < 256L << 20, "peak RSS grew by " + (grown >> 20) + " MiB while refusing");
            assertTrue(millis < 30_000, "refused after " + millis + " ms");
        }
    }

    /** An ordinary context is created as before, and costs no estimate: the bound shows it fits. */
    @Test
    void anOrdinaryContextIsUnaffectedAndNotMeasured() {
        try (Model model = Model.load(TestModels.tiny(), ModelParams.defaults())) {
            int before = ContextFit.MEASUREMENTS.get();
            try (Context context = model.newContext(ContextParams.defaults())) {
                assertEquals(4096, context.contextSize());
            }
            assertEquals(before, ContextFit.MEASUREMENTS.get(), "no estimate for an ordinary context");
        }
    }

    /**
     * The shortcut's bound is above what llama.cpp's estimate says, for every family with a KV formula, at several
     * sizes, with flash attention off (attention scores in the compute buffer) and an F32 cache.
     */
    @Test
    void theShortcutsBoundIsAboveLlamaCppsEstimate() throws IOException {
        for (Path file : java.util.List.of(TestModels.tiny(), TestModels.deepSeek32(),
                TestModels.distill(dev.jseek.models.TinyDistill.Family.QWEN3))) {
            dev.jseek.models.ModelFacts facts = dev.jseek.models.ModelFacts.of(dev.jseek.gguf.GgufReader.read(file));
            for (ContextParams p : java.util.List.of(SMALL.withContextSize(4096), SMALL.withContextSize(65536)
                    .withFlashAttention(ContextParams.FlashAttention.OFF).withCacheTypes(ContextParams.CacheType.F32, ContextParams.CacheType.F32))) {
                MemoryEstimate e = MemoryEstimate.measure(file, ModelParams.defaults(), p);
                long need = e.contextBytes() + e.computeBytes() + ContextFit.CELL_BYTES * p.contextSize();
                // the shortcut passes exactly when the bound is at most half the available memory
                assertFalse(ContextFit.clearlyFits(ModelParams.defaults(), p, p.contextSize(), facts, OptionalLong.of(2 * need - 1)),
                        file.getFileName() + " at " + p + ": llama.cpp says " + need);
                assertTrue(ContextFit.clearlyFits(ModelParams.defaults(), p, p.contextSize(), facts, OptionalLong.of(Long.MAX_VALUE / 4)));
            }
        }
    }

    /**
     * With room for 16384 tokens and a little more: refused, and the size it names is the largest that fits by
     * llama.cpp's own estimate (256 tokens more do not), found by measuring within the measured range. (A
     * micro-batch's logits alone, 512 × 102400 floats, take 200 MiB: no size fits in much less.)
     */
    @Test
    void theLargestThatFitsIsExactWithinTheMeasuredRange() {
        long budget = (hostNeed(16384) + hostNeed(16640)) / 2;
        ContextSizeException e = assertThrows(ContextSizeException.class, () -> ContextFit.require(TestModels.tiny(),
                ModelParams.defaults(), SMALL.withContextSize(100_000), 0, OptionalLong.of(budget)));
        int largest = e.largestFitting();
        assertEquals(16384, largest, e.getMessage());
        assertTrue(hostNeed(largest) <= budget, largest + " tokens need " + hostNeed(largest));
        assertTrue(hostNeed(largest + 256) > budget, largest + 256 + " tokens need " + hostNeed(largest + 256) + " and fit too");
        assertDoesNotThrow(() -> ContextFit.require(TestModels.tiny(), ModelParams.defaults(), SMALL.withContextSize(largest), 0,
                OptionalLong.of(budget)));
    }

    /** Past the measured range the need is projected along llama.cpp's line; the named size fits and is near the edge. */
    @Test
    void aProjectedLargestFitsAndIsCloseToTheEdge() {
        long atMeasuredEdge = hostNeed(1 << 20);
        double perToken = (atMeasuredEdge - hostNeed(1 << 19)) / (double) (1 << 19);
        long budget = atMeasuredEdge + (long) (perToken * (1 << 20)); // room for twice the measured range
        ContextSizeException e = assertThrows(ContextSizeException.class, () -> ContextFit.require(TestModels.tiny(),
                ModelParams.defaults(), SMALL.withContextSize(50_000_000), 0, OptionalLong.of(budget)));
        int largest = e.largestFitting();
        assertTrue(largest > (2 << 20) - 2048 && largest <= 2 << 20, largest + ": " + e.getMessage());
        assertDoesNotThrow(() -> ContextFit.require(TestModels.tiny(), ModelParams.defaults(), SMALL.withContextSize(largest), 0,
                OptionalLong.of(budget)));
    }

    /** Room for none: one sentence that says so. */
    @Test
    void whenNothingFitsItSaysSo() {
        ContextSizeException e = assertThrows(ContextSizeException.class, () -> ContextFit.require(TestModels.tiny(),
                ModelParams.defaults(), SMALL, 0, OptionalLong.of(64L << 20)));
        assertEquals(0, e.largestFitting());
        assertTrue(e.getMessage().contains("not even 256 tokens fit"), e.getMessage());
    }

    @Test
    void withTheMemoryCheckOffNothingIsMeasured() {
        assertDoesNotThrow(() -> ContextFit.require(TestModels.tiny(), ModelParams.defaults().withMemoryCheck(false),
                SMALL.withContextSize(999_999_999), 0, OptionalLong.of(1)));
        assertFalse(ModelParams.defaults().withMemoryCheck(false).checkMemory());
    }
}
