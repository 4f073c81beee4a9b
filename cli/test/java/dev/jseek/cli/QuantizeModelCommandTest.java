package dev.jseek.cli;

import dev.jseek.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuantizeModelCommandTest {
    private static final Path MODEL = TestModels.tiny();

    @Test
    void quantizesWithProgressAndInfoSeesTheNewType(@TempDir Path dir) {
        Path out = dir.resolve("q8.gguf");
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), "quantize", MODEL.toString(), out.toString(), "--type", "q8_0");
        assertEquals(0, code, err.toString());
        assertTrue(err.toString().contains("100%") && err.toString().contains("wrote " + out), err.toString());
        StringWriter info = new StringWriter();
        assertEquals(0, Main.execute(new PrintWriter(info), new PrintWriter(new StringWriter()), "info", out.toString()));
        assertTrue(info.toString().contains("quantization    Q8_0"), info.toString());
    }

    @Test
    void badTypesAndImportanceMatrixTypesAreUsageErrors(@TempDir Path dir) {
        for (String type : new String[] {"Q9_X", "IQ2_XXS"}) {
            StringWriter err = new StringWriter();
            int code = Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), "quantize", MODEL.toString(),
                    dir.resolve("x.gguf").toString(), "--type", type);
            assertEquals(ExitCodes.USAGE, code, err.toString());
            assertEquals(1, err.toString().strip().lines().count(), err.toString());
        }
    }
}
