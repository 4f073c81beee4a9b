package dev.jseek.cli;

import dev.jseek.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Backend;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `jseek bench` speaks llama-bench's language: same tests, same field names, same model figures. */
class BenchmarkCommandTest {
    private static final Path MODEL = TestModels.tiny();

    private static JsonNode llamaBench(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Backend.get().libraryDir().resolve("llama-bench").toString(), "-m", MODEL.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new ObjectMapper().readTree(out);
    }

    @Test
    void jsonHasLlamaBenchsTestsFieldsAndModelFigures() throws Exception {
        Outcome r = jseek("bench", "-m", MODEL.toString(), "-p", "16", "-n", "4", "-r", "2", "-t", "1", "-o", "json");
        assertEquals(0, r.code(), r.err());
        JsonNode ours = new ObjectMapper().readTree(r.out());
        JsonNode theirs = llamaBench("-p", "16", "-n", "4", "-r", "1", "-t", "1", "-o", "json");
        assertEquals(theirs.size(), ours.size());
        Set<String> theirFields = new HashSet<>();
        theirs.get(0).fieldNames().forEachRemaining(theirFields::add);
        for (int i = 0; i < ours.size(); i++) {
            JsonNode a = ours.get(i);
            JsonNode b = theirs.get(i);
            a.fieldNames().forEachRemaining(f -> assertTrue(theirFields.contains(f), "llama-bench has no field " + f));
            for (String same : List.of("backends", "model_type", "model_size", "model_n_params", "n_prompt", "n_gen", "n_threads", "n_batch", "n_ubatch")) {
                assertEquals(b.get(same).asText(), a.get(same).asText(), same);
            }
            assertEquals(2, a.get("samples_ns").size());
            assertTrue(a.get("avg_ts").asDouble() > 0);
        }
    }

    @Test
    void markdownHasLlamaBenchsColumns() {
        Outcome r = jseek("bench", "-m", MODEL.toString(), "-p", "8", "-n", "0", "-r", "1", "-t", "1");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("| model                          |       size |     params | backend    | threads |            test |                  t/s |", lines.get(0));
        assertTrue(lines.get(2).matches("\\| deepseek2 .*\\|\\s+pp8 \\|\\s+[0-9.]+ ± [0-9.]+ \\|"), lines.get(2));
    }

    /**
     * Spread over an RPC worker, the backend is RPC, as llama-bench says for the same worker (jseek used to say CPU
     * whatever -ngl and --rpc were). jseek runs in a JVM of its own: RPC registrations are process-wide.
     */
    @Test
    void theBackendIsWhatLlamaBenchReportsWithAnRpcWorker(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        WorkerCommandTest.withWorker(dir.resolve("worker.log"), rpc -> {
            Outcome r = Subprocess.run(null, java.time.Duration.ofSeconds(120), "bench", "-m", MODEL.toString(),
                    "-ngl", "-1", "--rpc", rpc, "-p", "8", "-n", "0", "-r", "1", "-t", "1", "-o", "json");
            assertEquals(0, r.code(), r.err());
            JsonNode ours = new ObjectMapper().readTree(r.out());
            JsonNode theirs = llamaBench("-ngl", "99", "--rpc", rpc, "-p", "8", "-n", "0", "-r", "1", "-t", "1", "-o", "json");
            assertEquals("RPC", ours.get(0).get("backends").asText());
            assertEquals(theirs.get(0).get("backends").asText(), ours.get(0).get("backends").asText());
        });
    }
}
