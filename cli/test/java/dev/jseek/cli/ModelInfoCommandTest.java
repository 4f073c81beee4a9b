package dev.jseek.cli;

import dev.jseek.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.models.TinyDeepSeek;
import dev.jseek.models.TinyDeepSeek32;
import dev.jseek.models.TinyDeepSeek4;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelInfoCommandTest {
    private static final Path MODEL = TestModels.tiny();


    @Test
    void theTableSaysWhatTheFileIs() {
        Outcome r = jseek("info", MODEL.toString());
        assertEquals(0, r.code(), r.err());
        for (String label : new String[] {"what it is", "parameters", "experts", "quantization", "context length", "chat template", "memory"}) {
            assertTrue(r.out().contains(label), label + " missing:\n" + r.out());
        }
        assertTrue(r.out().contains("8 routed (2 used per token), 1 shared"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("chat features   ") && l.contains("tool calls: ")), r.out());
    }

    @Test
    void jsonHasTheFiguresAndTheMemoryGrowsWithTheContext() throws IOException {
        JsonNode small = new ObjectMapper().readTree(jseek("info", "--json", "-c", "1024", MODEL.toString()).out());
        JsonNode large = new ObjectMapper().readTree(jseek("info", "--json", "-c", "8192", MODEL.toString()).out());
        assertEquals("deepseek2", small.get("architecture").asText());
        assertEquals(8, small.get("experts").get("routed").asInt());
        assertTrue(small.get("active_parameters").asLong() < small.get("parameters").asLong());
        assertEquals("deepseek3", small.get("chat_template").asText());
        long kvSmall = small.get("memory").get("kv_cache_bytes").asLong();
        assertEquals(kvSmall * 8, large.get("memory").get("kv_cache_bytes").asLong());
    }

    /** The tiny deepseek32 model: V3.2's attention and indexer, its KV cache with the indexer's keys, not the 685B release. */
    @Test
    void deepSeek32SaysItsSparseAttentionAndCountsTheIndexerCache() throws IOException {
        Path model = TestModels.deepSeek32();
        TinyDeepSeek32.Config config = TinyDeepSeek32.Config.defaults();
        Outcome r = jseek("info", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("MLA (multi-head latent attention) with DSA sparse attention: a lightning indexer ("
                + config.indexerHeadCount() + " heads of " + config.indexerKeyLength() + ", top-k " + config.indexerTopK() + ")"), r.out());
        assertTrue(r.out().contains("in no DeepSeek release's shape"), r.out());
        JsonNode json = new ObjectMapper().readTree(jseek("info", "--json", "-c", "1000", model.toString()).out());
        TinyDeepSeek.Config base = config.base();
        long perToken = 2L * base.blockCount() * (base.kvLoraRank() + base.qkRopeHeadDim() + config.indexerKeyLength());
        // llama.cpp pads the cache to a multiple of 256 cells: 1000 tokens of context allocate 1024
        assertEquals(perToken * 1024, json.get("memory").get("kv_cache_bytes").asLong());
        assertEquals(base.expertCount(), json.get("experts").get("routed").asInt());
        assertTrue(json.get("active_parameters").asLong() < json.get("parameters").asLong());
    }

    /** The tiny deepseek4 model: V4's attention in words, and its KV cache as llama.cpp measures it. */
    @Test
    void deepSeek4SaysItsAttentionAndTheKvCacheLlamaCppMeasures() throws IOException {
        Path model = TestModels.deepSeek4();
        TinyDeepSeek4.Config config = TinyDeepSeek4.Config.defaults();
        Outcome r = jseek("info", model.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("DeepSeek-V4 attention: " + config.headCount() + " query heads share one K=V head of "
                + config.headDim() + ", a sliding window of " + config.slidingWindow() + " tokens"), r.out());
        long kv = dev.jseek.MemoryEstimate.measure(model, dev.jseek.ModelParams.defaults(),
                dev.jseek.ContextParams.defaults().withContextSize(4096)).contextBytes();
        assertTrue(kv > 0);
        assertTrue(r.out().contains("KV cache " + dev.jseek.models.ModelFacts.humanBytes(kv) + " (measured by llama.cpp)"), r.out());
        assertTrue(r.out().contains(config.expertCount() + " routed (" + config.expertUsedCount() + " used per token)"), r.out());
        // V4's own template: its thinking switch, its reasoning-effort levels and tool calls
        assertTrue(r.out().contains("chat features   thinking on/off (enable_thinking); reasoning effort: max, none; tool calls: yes"), r.out());
        JsonNode json = new ObjectMapper().readTree(jseek("info", "--json", model.toString()).out());
        assertEquals(kv, json.get("memory").get("kv_cache_bytes").asLong(), json.toString());
        assertEquals("llama.cpp", json.get("memory").get("kv_cache_source").asText());
        JsonNode chat = json.get("chat_features");
        assertTrue(chat.get("thinking_switch").asBoolean() && chat.get("tool_calls").asBoolean(), chat.toString());
        assertEquals("[\"max\",\"none\"]", chat.get("reasoning_efforts").toString());
        assertTrue(json.get("kind").asText().contains("a small test model"), json.toString());
    }


    @Test
    void aFileThatIsNotAModelIsOneLineAndExitCode3(@TempDir Path dir) throws IOException {
        Path notes = Files.writeString(dir.resolve("notes.gguf"), "hello");
        Outcome r = jseek("info", notes.toString());
        assertEquals(ExitCodes.MODEL, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(notes.toString()), r.err());
        Outcome missing = jseek("info", dir.resolve("nope.gguf").toString());
        assertEquals(ExitCodes.MODEL, missing.code());
        assertTrue(missing.err().contains("does not exist"), missing.err());
    }
}
