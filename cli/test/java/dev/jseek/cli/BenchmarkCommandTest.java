package dev.jseek.cli;

import dev.jseek.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Backend;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
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
     * -fa, -ctk and -ctv as llama-bench spells them, lists included: the same rows in the same order, the same
     * type_k, type_v and flash_attn fields, and the Markdown table gains llama-bench's columns.
     */
    @Test
    void kvCacheTypesAndFlashAttentionAreLlamaBenchs() throws Exception {
        // the tiny model's heads are 40 wide, so no quantized type (blocks of 32) can hold its K cache, and MLA needs
        // K and V of one type
        String[] flags = {"-ctk", "bf16", "-ctv", "bf16", "-fa", "0,on"};
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = new ArrayList<>(List.of("bench", "-m", MODEL.toString(), "-p", "16", "-n", "0", "-r", "1", "-t", "1", "-o", "json"));
        args.addAll(List.of(flags));
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args.toArray(String[]::new));
        assertEquals(0, code, err.toString());
        JsonNode ours = new ObjectMapper().readTree(out.toString());
        List<String> theirArgs = new ArrayList<>(List.of("-p", "16", "-n", "0", "-r", "1", "-t", "1", "-o", "json"));
        theirArgs.addAll(List.of(flags));
        JsonNode theirs = llamaBench(theirArgs.toArray(String[]::new));
        assertEquals(2, theirs.size());
        assertEquals(theirs.size(), ours.size());
        for (int i = 0; i < ours.size(); i++) {
            for (String same : List.of("type_k", "type_v", "flash_attn", "n_prompt")) {
                assertEquals(theirs.get(i).get(same).asText(), ours.get(i).get(same).asText(), same + " of row " + i);
            }
        }
        assertEquals("bf16", ours.get(0).get("type_k").asText());
        assertEquals(0, ours.get(0).get("flash_attn").asInt());
        assertEquals(1, ours.get(1).get("flash_attn").asInt());

        StringWriter md = new StringWriter();
        List<String> mdArgs = new ArrayList<>(List.of("bench", "-m", MODEL.toString(), "-p", "8", "-n", "0", "-r", "1", "-t", "1"));
        mdArgs.addAll(List.of(flags));
        assertEquals(0, Main.execute(new PrintWriter(md), new PrintWriter(new StringWriter()), mdArgs.toArray(String[]::new)));
        Process p = new ProcessBuilder(Backend.get().libraryDir().resolve("llama-bench").toString(), "-m", MODEL.toString(), "-p", "8",
                "-n", "0", "-r", "1", "-t", "1", "-ctk", "bf16", "-ctv", "bf16", "-fa", "0,on")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<String> theirMd = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        List<String> ourMd = md.toString().lines().toList();
        assertEquals(theirMd.get(0), ourMd.get(0));
        assertEquals(theirMd.get(1), ourMd.get(1));
        assertTrue(ourMd.get(2).matches(".*\\|\\s+bf16 \\|\\s+bf16 \\|\\s+0 \\|\\s+pp8 \\|.*"), ourMd.get(2));
        assertTrue(ourMd.get(3).matches(".*\\|\\s+bf16 \\|\\s+bf16 \\|\\s+1 \\|\\s+pp8 \\|.*"), ourMd.get(3));
    }

    @Test
    void aQuantizedVCacheWithoutFlashAttentionIsAUsageErrorBeforeLoading() {
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), "bench", "-m", MODEL.toString(), "-p", "8",
                "-n", "0", "-ctv", "q8_0", "-fa", "off");
        assertEquals(ExitCodes.USAGE, code, err.toString());
        assertTrue(err.toString().contains("needs flash attention"), err.toString());
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
