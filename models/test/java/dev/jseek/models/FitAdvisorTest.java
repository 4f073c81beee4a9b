package dev.jseek.models;

import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class FitAdvisorTest {
    private static final long MIB = 1 << 20;

    @TempDir
    static Path dir;
    static GgufFile file;
    static ModelFacts facts;

    @BeforeAll
    static void model() throws IOException {
        Path vocab = TestVocab.path().orElse(null);
        assumeTrue(vocab != null, "needs llama.cpp's DeepSeek vocab");
        Path model = dir.resolve("tiny.gguf");
        TinyDeepSeek.write(vocab, model, TinyDeepSeek.Config.defaults());
        file = GgufReader.read(model);
        facts = ModelFacts.of(file);
    }

    private static long needed() {
        return facts.memoryBytes(4096);
    }

    @Test
    void aBigGpuTakesEverything() {
        FitAdvisor.Advice a = FitAdvisor.advise(file, facts, 4096, 64L << 30, 80L << 30);
        assertEquals("-ngl -1", a.flags());
        assertEquals(0, a.ramBytes());
    }

    @Test
    void aGpuTooSmallForTheExpertsKeepsThemInRam() {
        long experts = file.tensors().stream().filter(t -> t.name().contains("_exps.")).mapToLong(t -> t.byteSize()).sum();
        long vram = (long) ((needed() - experts / 2) / 0.95); // room for all but half the experts
        FitAdvisor.Advice a = FitAdvisor.advise(file, facts, 4096, 64L << 30, vram);
        assertTrue(a.fits());
        assertTrue(a.flags().startsWith("-ngl -1 --"), a.flags());
        assertTrue(a.flags().contains("cpu-moe"), a.flags());
        assertTrue(a.gpuBytes() <= vram * 0.95, a.toString());
        assertTrue(a.ramBytes() > 0);
    }

    @Test
    void withoutAGpuItIsCpuOnlyOrItSaysWhyNot() {
        assertEquals("-ngl 0", FitAdvisor.advise(file, facts, 4096, 64L << 30, 0).flags());
        FitAdvisor.Advice no = FitAdvisor.advise(file, facts, 4096, 100 * MIB, 0);
        assertFalse(no.fits());
        assertTrue(no.explanation().contains("--rpc"), no.explanation());
    }
}
