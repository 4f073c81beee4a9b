package dev.jseek.cli;

import dev.jseek.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizeModelCommandTest {
    private static final Path MODEL = TestModels.tiny();

    @Test
    void quantizesWithProgressAndInfoSeesTheNewType(@TempDir Path dir) {
        Path out = dir.resolve("q8.gguf");
        Outcome r = jseek("quantize", MODEL.toString(), out.toString(), "--type", "q8_0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("100%") && r.err().contains("wrote " + out), r.err());
        Outcome info = jseek("info", out.toString());
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("quantization    Q8_0"), info.out());
    }

    @Test
    void badTypesAndImportanceMatrixTypesAreUsageErrors(@TempDir Path dir) {
        for (String type : new String[] {"Q9_X", "IQ2_XXS"}) {
            Outcome r = jseek("quantize", MODEL.toString(), dir.resolve("x.gguf").toString(), "--type", type);
            assertEquals(ExitCodes.USAGE, r.code(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }
}
