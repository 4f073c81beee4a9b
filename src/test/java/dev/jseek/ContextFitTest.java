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

    @Test
    void anOrdinaryContextIsUnaffected() {
        try (Model model = Model.load(TestModels.tiny(), ModelParams.defaults());
             Context context = model.newContext(ContextParams.defaults())) {
            assertEquals(4096, context.contextSize());
        }
    }

    /**
     * With 64 MiB of system memory: refused, and the size it names is the largest that fits by llama.cpp's own
     * estimate (256 tokens more do not), found by measuring within the measured range.
     */
    @Test
    void theLargestThatFitsIsExactWithinTheMeasuredRange() {
        long budget = 64L << 20;
        ContextSizeException e = assertThrows(ContextSizeException.class, () -> ContextFit.require(TestModels.tiny(),
                ModelParams.defaults(), SMALL.withContextSize(1 << 20), 0, OptionalLong.of(budget)));
        int largest = e.largestFitting();
        assertTrue(largest > 0 && largest < 1 << 20, e.getMessage());
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

    @Test
    void withTheMemoryCheckOffNothingIsMeasured() {
        assertDoesNotThrow(() -> ContextFit.require(TestModels.tiny(), ModelParams.defaults().withMemoryCheck(false),
                SMALL.withContextSize(999_999_999), 0, OptionalLong.of(1)));
        assertFalse(ModelParams.defaults().withMemoryCheck(false).checkMemory());
    }
}
