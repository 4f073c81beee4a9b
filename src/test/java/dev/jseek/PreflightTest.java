package dev.jseek;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufValue;
import dev.jseek.gguf.GgufWriter;
import dev.jseek.models.TinyDeepSeek;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two layers between an untrusted file and this JVM: the Java checks, and the child process that catches
 * what they miss. The second layer is shown with the Java checks switched off in the child, on the file that
 * made llama.cpp abort (../shared/design/LLAMA_CPP.md): an MLA model claiming 4 KV heads. The child's dry run reads
 * no weights, shown on a DeepSeek-R1-shaped file of 1.3 TB whose weights are a hole (a sparse file).
 */
class PreflightTest {
    @TempDir
    Path dir;

    private Path fourKvHeads() {
        return GgufEdit.withMetadata(TestModels.tiny(), dir.resolve("four-kv-heads.gguf"),
                m -> m.put("deepseek2.attention.head_count_kv", GgufValue.Int.uint32(4)));
    }

    @Test
    void aFileThatAbortsLlamaCppEndsTheChildNotThisProcess() {
        var outcome = Preflight.runChild(fourKvHeads(), Backend.get(), false).orElseThrow();
        var crashed = assertInstanceOf(Preflight.Outcome.Crashed.class, outcome);
        assertEquals("it aborted", crashed.how());
        assertTrue(crashed.lastWords().contains("GGML_ASSERT"), crashed.lastWords());
    }

    @Test
    void theJavaChecksRefuseItBeforeAnyNativeCode() {
        var e = assertThrows(ModelLoadException.class, () -> Model.load(fourKvHeads(), ModelParams.defaults()));
        assertTrue(e.getMessage().contains("head_count_kv is 4"), e.getMessage());
    }

    @Test
    void aGoodFilePassesAndIsRememberedByItsIdentity() throws Exception {
        Path copy = Files.copy(TestModels.tiny(), dir.resolve("good.gguf"));
        assertInstanceOf(Preflight.Outcome.Passed.class, Preflight.runChild(copy, Backend.get(), true).orElseThrow());
        try (Model model = Model.load(copy, ModelParams.defaults())) {
            assertTrue(model.vocab().size() > 100_000);
        }
    }

    @Test
    void aCleanRefusalInTheChildIsLeftToTheLoadHereWhichSaysWhy() {
        Path truncatedVocab = GgufEdit.withMetadata(TestModels.tiny(), dir.resolve("no-tokens.gguf"),
                m -> m.remove("tokenizer.ggml.tokens"));
        assertInstanceOf(Preflight.Outcome.Refused.class, Preflight.runChild(truncatedVocab, Backend.get(), true).orElseThrow());
        assertThrows(ModelLoadException.class, () -> Model.load(truncatedVocab, ModelParams.defaults()));
    }

    /**
     * The division of labour: the dry run builds graphs but runs none, so a weight type the CPU kernels lack (found by
     * the fuzz test: they abort when the graph runs) passes it; the Java checks refuse that file before any of this.
     */
    @Test
    void aWeightTypeTheKernelsLackIsLeftToTheJavaChecks() {
        Path intNorm = GgufEdit.withTensorType(TestModels.tiny(), dir.resolve("i32-norm.gguf"), "blk.0.attn_norm.weight", GgmlType.I32);
        assertInstanceOf(Preflight.Outcome.Passed.class, Preflight.runChild(intNorm, Backend.get(), false).orElseThrow());
        var e = assertThrows(ModelLoadException.class, () -> Model.load(intNorm, ModelParams.defaults()));
        assertTrue(e.getMessage().contains("is stored as i32"), e.getMessage());
    }

    @Test
    void anR1SizedFileIsCheckedInSecondsWithoutItsWeightsInMemory() throws Exception {
        Path r1 = dir.resolve("r1-shape.gguf");
        TinyDeepSeek.writeSparse(TestModels.deepSeekVocab(), r1,
                TinyDeepSeek.Config.r1Shape());
        assertTrue(Files.size(r1) > 1_000_000_000_000L, "a 1.3 TB file: " + Files.size(r1));
        var passed = assertInstanceOf(Preflight.Outcome.Passed.class, Preflight.runChild(r1, Backend.get(), true).orElseThrow());
        // 61 layers of 256 experts, graphs built for them: a JVM and the metadata, not 1.3 TB of F16
        assertTrue(passed.took().toSeconds() < 60, "took " + passed.took());
        assertTrue(passed.peakRssBytes() < 1L << 30, "the child's peak RSS: " + passed.peakRssBytes());

        Path broken = dir.resolve("r1-four-kv-heads.gguf");
        GgufWriter.copyOf(GgufReader.read(r1)).put("deepseek2.attention.head_count_kv", GgufValue.Int.uint32(4)).writeSparse(broken);
        var crashed = assertInstanceOf(Preflight.Outcome.Crashed.class, Preflight.runChild(broken, Backend.get(), false).orElseThrow());
        assertTrue(crashed.lastWords().contains("GGML_ASSERT"), crashed.lastWords());
    }

    @Test
    void theChildsTimeLimitGrowsWithTheModelsFiles() throws Exception {
        Path small = Files.copy(TestModels.tiny(), dir.resolve("small.gguf"));
        assertEquals(120, Preflight.timeoutSeconds(small));
        Path parts = Files.createDirectory(dir.resolve("split"));
        for (int i = 1; i <= 3; i++) {
            try (var file = new RandomAccessFile(parts.resolve("R1-0000" + i + "-of-00003.gguf").toFile(), "rw")) {
                file.setLength(100L << 30); // sparse: no disk
            }
        }
        Path first = parts.resolve("R1-00001-of-00003.gguf");
        assertEquals(300L << 30, Preflight.modelBytes(first), "every part of a split model");
        assertEquals(120 + 300, Preflight.timeoutSeconds(first), "2 minutes and 1 s per GiB");
    }

    @Test
    void withPreflightOffNoChildRunsAndNothingIsRemembered() throws Exception {
        Path unchecked = Files.copy(TestModels.tiny(), dir.resolve("unchecked.gguf"));
        try (Model model = Model.load(unchecked, ModelParams.defaults().withPreflight(false))) {
            assertTrue(model.vocab().size() > 100_000);
        }
        assertFalse(Files.exists(Preflight.marker(unchecked, Backend.get())));
        Path checked = Files.copy(TestModels.tiny(), dir.resolve("checked.gguf"));
        try (Model model = Model.load(checked, ModelParams.defaults())) {
            assertTrue(model.vocab().size() > 100_000);
        }
        assertEquals(Preflight.enabledForProcess(), Files.exists(Preflight.marker(checked, Backend.get())));
    }

    @Test
    void theAbortLineIsPickedOutOfTheChildsOutput() {
        assertEquals("/src/llama.cpp/ggml/src/ggml.c:1234: GGML_ASSERT(a->ne[2] == b->ne[0]) failed",
                Preflight.lastWords(List.of("load: things", "/src/llama.cpp/ggml/src/ggml.c:1234: GGML_ASSERT(a->ne[2] == b->ne[0]) failed",
                        "#0 0x7f backtrace")));
        assertEquals("last line", Preflight.lastWords(List.of("first", "last line", "  ")));
    }
}
