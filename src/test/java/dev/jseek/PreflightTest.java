package dev.jseek;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jseek.gguf.GgufValue;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two layers between an untrusted file and this JVM: the Java checks, and the child process that catches
 * what they miss. The second layer is shown with the Java checks switched off in the child, on the file that
 * made llama.cpp abort (../shared/design/LLAMA_CPP.md): an MLA model claiming 4 KV heads.
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
        Path copy = java.nio.file.Files.copy(TestModels.tiny(), dir.resolve("good.gguf"));
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

    @Test
    void theAbortLineIsPickedOutOfTheChildsOutput() {
        assertEquals("/src/llama.cpp/ggml/src/ggml.c:1234: GGML_ASSERT(a->ne[2] == b->ne[0]) failed",
                Preflight.lastWords(List.of("load: things", "/src/llama.cpp/ggml/src/ggml.c:1234: GGML_ASSERT(a->ne[2] == b->ne[0]) failed",
                        "#0 0x7f backtrace")));
        assertEquals("last line", Preflight.lastWords(List.of("first", "last line", "  ")));
    }
}
