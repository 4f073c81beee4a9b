package dev.jseek.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Backend;
import dev.jseek.models.TinyDeepSeek;
import dev.jseek.models.TinyDeepSeek32;
import dev.jseek.models.TinyDeepSeek4;
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
        assertTrue(r[1].lines().anyMatch(l -> l.startsWith("chat features   ") && l.contains("tool calls: ")), r[1]);
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

    /** The tiny deepseek32 model: V3.2's attention and indexer, its KV cache with the indexer's keys, not the 685B release. */
    @Test
    void deepSeek32SaysItsSparseAttentionAndCountsTheIndexerCache(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("tiny32.gguf");
        TinyDeepSeek32.Config config = TinyDeepSeek32.Config.defaults();
        TinyDeepSeek32.write(vocab(), model, config);
        String[] r = run("info", model.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("MLA (multi-head latent attention) with DSA sparse attention: a lightning indexer ("
                + config.indexerHeadCount() + " heads of " + config.indexerKeyLength() + ", top-k " + config.indexerTopK() + ")"), r[1]);
        assertTrue(r[1].contains("in no DeepSeek release's shape"), r[1]);
        JsonNode json = new ObjectMapper().readTree(run("info", "--json", "-c", "1000", model.toString())[1]);
        TinyDeepSeek.Config base = config.base();
        long perToken = 2L * base.blockCount() * (base.kvLoraRank() + base.qkRopeHeadDim() + config.indexerKeyLength());
        // llama.cpp pads the cache to a multiple of 256 cells: 1000 tokens of context allocate 1024
        assertEquals(perToken * 1024, json.get("memory").get("kv_cache_bytes").asLong());
        assertEquals(base.expertCount(), json.get("experts").get("routed").asInt());
        assertTrue(json.get("active_parameters").asLong() < json.get("parameters").asLong());
    }

    /** The tiny deepseek4 model: V4's attention in words, and its KV cache as llama.cpp measures it. */
    @Test
    void deepSeek4SaysItsAttentionAndTheKvCacheLlamaCppMeasures(@TempDir Path dir) throws IOException {
        Path model = dir.resolve("tiny4.gguf");
        TinyDeepSeek4.Config config = TinyDeepSeek4.Config.defaults();
        TinyDeepSeek4.write(vocab(), model, config);
        String[] r = run("info", model.toString());
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("DeepSeek-V4 attention: " + config.headCount() + " query heads share one K=V head of "
                + config.headDim() + ", a sliding window of " + config.slidingWindow() + " tokens"), r[1]);
        long kv = dev.jseek.MemoryEstimate.measure(model, dev.jseek.ModelParams.defaults(),
                dev.jseek.ContextParams.defaults().withContextSize(4096)).contextBytes();
        assertTrue(kv > 0);
        assertTrue(r[1].contains("KV cache " + dev.jseek.models.ModelFacts.humanBytes(kv) + " (measured by llama.cpp)"), r[1]);
        assertTrue(r[1].contains(config.expertCount() + " routed (" + config.expertUsedCount() + " used per token)"), r[1]);
        // V4's own template: its thinking switch, its reasoning-effort levels and tool calls
        assertTrue(r[1].contains("chat features   thinking on/off (enable_thinking); reasoning effort: max, none; tool calls: yes"), r[1]);
        JsonNode json = new ObjectMapper().readTree(run("info", "--json", model.toString())[1]);
        assertEquals(kv, json.get("memory").get("kv_cache_bytes").asLong(), json.toString());
        assertEquals("llama.cpp", json.get("memory").get("kv_cache_source").asText());
        JsonNode chat = json.get("chat_features");
        assertTrue(chat.get("thinking_switch").asBoolean() && chat.get("tool_calls").asBoolean(), chat.toString());
        assertEquals("[\"max\",\"none\"]", chat.get("reasoning_efforts").toString());
        assertTrue(json.get("kind").asText().contains("a small test model"), json.toString());
    }

    private static Path vocab() {
        return Backend.get().libraryDir().resolve("vocab").resolve("ggml-vocab-deepseek-llm.gguf");
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
