package dev.jseek.cli;

import dev.jseek.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The flags every command that loads a model shares ({@link ModelOptions}). */
class ModelOptionsTest {
    @TempDir
    Path dir;

    @Test
    void everyCommandThatLoadsAModelTakesNoPreflight() {
        List<String> loading = new CommandLine(new Main()).getSubcommands().entrySet().stream()
                .filter(c -> c.getValue().getMixins().values().stream().anyMatch(m -> m instanceof ModelOptions))
                .map(c -> {
                    assertNotNull(c.getValue().getCommandSpec().findOption("--no-preflight"), c.getKey());
                    return c.getKey();
                })
                .sorted().toList();
        assertEquals(List.of("batch", "bench", "chat", "run", "serve"), loading);
    }

    @Test
    void noPreflightTurnsTheDryRunOffForTheLoad() {
        var options = new ModelOptions();
        new CommandLine(options).parseArgs();
        assertTrue(options.modelParams().preflight(), "on by default");
        new CommandLine(options).parseArgs("--no-preflight");
        assertFalse(options.modelParams().preflight());
    }

    @Test
    void aRunWithoutThePreflightLoadsAndGenerates() throws Exception {
        Path model = Files.copy(TestModels.tiny(), dir.resolve("fresh.gguf"));
        Outcome r = jseek("run", "--raw", "--no-preflight", "-m", model.toString(), "--temp", "0", "-n", "4", "The");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().isBlank());
    }
}
