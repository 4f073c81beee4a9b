package dev.jseek.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.models.TinyDeepSeek;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelInfoCommandTest {
    private static final Path MODEL = DemoModel.ensure(Path.of(System.getProperty("jseek.test.work", "target/test-work")),
            TinyDeepSeek.Config.defaults());

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void theTableSaysWhatTheFileIs() {
        String[] r = run("info", MODEL.toString());
        assertEquals("0", r[0], r[2]);
        for (String label : new String[] {"what it is", "parameters", "experts", "quantization", "context length", "chat template", "memory"}) {
            assertTrue(r[1].contains(label), label + " missing:\n" + r[1]);
        }
        assertTrue(r[1].contains("8 routed (2 used per token), 1 shared"), r[1]);
    }

    @Test
    void jsonHasTheFiguresAndTheMemoryGrowsWithTheContext() throws IOException {
        JsonNode small = new ObjectMapper().readTree(run("info", "--json", "-c", "1024", MODEL.toString())[1]);
        JsonNode large = new ObjectMapper().readTree(run("info", "--json", "-c", "8192", MODEL.toString())[1]);
        assertEquals("deepseek2", small.get("architecture").asText());
        assertEquals(8, small.get("experts").get("routed").asInt());
        assertTrue(small.get("active_parameters").asLong() < small.get("parameters").asLong());
        assertEquals("deepseek3", small.get("chat_template").asText());
        long kvSmall = small.get("memory").get("kv_cache_bytes").asLong();
        assertEquals(kvSmall * 8, large.get("memory").get("kv_cache_bytes").asLong());
    }

    @Test
    void aFileThatIsNotAModelIsOneLineAndExitCode3(@TempDir Path dir) throws IOException {
        Path notes = Files.writeString(dir.resolve("notes.gguf"), "hello");
        String[] r = run("info", notes.toString());
        assertEquals(String.valueOf(ExitCodes.MODEL), r[0]);
        assertEquals(1, r[2].strip().lines().count(), r[2]);
        assertTrue(r[2].contains(notes.toString()), r[2]);
        String[] missing = run("info", dir.resolve("nope.gguf").toString());
        assertEquals(String.valueOf(ExitCodes.MODEL), missing[0]);
        assertTrue(missing[2].contains("does not exist"), missing[2]);
    }
}
