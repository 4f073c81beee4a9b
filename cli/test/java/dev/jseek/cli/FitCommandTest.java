package dev.jseek.cli;

import dev.jseek.TestModels;
import dev.jseek.models.TinyDeepSeek4;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FitCommandTest {
    @Test
    void givesFlagsForThisMachine() {
        Path model = TestModels.tiny();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), "fit", model.toString(), "-c", "2048");
        assertEquals(0, code, err.toString());
        assertTrue(out.toString().contains("advice     -ngl "), out.toString());
        assertTrue(out.toString().contains("RAM available"), out.toString());
        StringWriter missing = new StringWriter();
        assertEquals(ExitCodes.MODEL, Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(missing), "fit", "/no/such.gguf"));
        assertEquals("jseek: Model file /no/such.gguf does not exist; check the path.", missing.toString().strip(),
                "a sentence, not only the path");
    }

    /** deepseek4's compressed, windowed KV cache has no formula of ours: fit counts what llama.cpp measures for it. */
    @Test
    void countsTheKvCacheLlamaCppMeasuresForV4(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("tiny4.gguf");
        TinyDeepSeek4.write(TestModels.deepSeekVocab(), model,
                TinyDeepSeek4.Config.defaults());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Main.execute(new PrintWriter(out), new PrintWriter(err), "fit", model.toString(), "-c", "2048");
        long kv = dev.jseek.MemoryEstimate.measure(model, dev.jseek.ModelParams.defaults(),
                dev.jseek.ContextParams.defaults().withContextSize(2048)).contextBytes();
        assertTrue(kv > 0, "V4 has a KV cache");
        assertTrue(out.toString().contains("KV cache " + dev.jseek.models.ModelFacts.humanBytes(kv) + " measured by llama.cpp"), out + "" + err);
        assertFalse(out.toString().contains("not estimated"), out.toString());
    }
}
