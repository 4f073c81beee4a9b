package dev.jseek.cli;

import dev.jseek.TestModels;
import org.junit.jupiter.api.Test;


import java.nio.file.Path;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FitCommandTest {
    @Test
    void givesFlagsForThisMachine() {
        Path model = TestModels.tiny();
        Outcome r = jseek("fit", model.toString(), "-c", "2048");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("advice     -ngl "), r.out());
        assertTrue(r.out().contains("RAM available"), r.out());
        Outcome missing = jseek("fit", "/no/such.gguf");
        assertEquals(ExitCodes.MODEL, missing.code());
        assertEquals("jseek: Model file /no/such.gguf does not exist; check the path.", missing.err().strip(),
                "a sentence, not only the path");
    }

    /** deepseek4's compressed, windowed KV cache has no formula of ours: fit counts what llama.cpp measures for it. */
    @Test
    void countsTheKvCacheLlamaCppMeasuresForV4() {
        Path model = TestModels.deepSeek4();
        Outcome r = jseek("fit", model.toString(), "-c", "2048");
        long kv = dev.jseek.MemoryEstimate.measure(model, dev.jseek.ModelParams.defaults(),
                dev.jseek.ContextParams.defaults().withContextSize(2048)).contextBytes();
        assertTrue(kv > 0, "V4 has a KV cache");
        assertTrue(r.out().contains("KV cache " + dev.jseek.models.ModelFacts.humanBytes(kv) + " measured by llama.cpp"), r.out() + r.err());
        assertFalse(r.out().contains("not estimated"), r.out());
    }
}
