package dev.jseek.cli;

import dev.jseek.models.TinyDeepSeek;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FitCommandTest {
    @Test
    void givesFlagsForThisMachine() {
        Path model = DemoModel.ensure(Path.of(System.getProperty("jseek.test.work", "target/test-work")), TinyDeepSeek.Config.defaults());
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
}
