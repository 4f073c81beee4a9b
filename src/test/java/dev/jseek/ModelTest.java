package dev.jseek;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelTest {

    @Test
    void loadsTheTinyDeepSeekModel() {
        try (Model model = Model.load(TestModels.tiny(), ModelParams.defaults())) {
            assertTrue(model.description().startsWith("deepseek2"), model.description());
            assertTrue(model.parameterCount() > 1_000_000, "parameters: " + model.parameterCount());
            assertEquals("deepseek2", model.metadata("general.architecture").orElseThrow());
            assertTrue(model.chatTemplate().orElseThrow().contains("<｜Assistant｜>"));
            assertTrue(model.vocab().size() > 102_400);
        }
    }

    @Test
    void progressIsReportedAndCanCancelTheLoad() {
        float[] last = {-1};
        try (Model model = Model.load(TestModels.tiny(), ModelParams.defaults().withProgress(f -> {
            last[0] = f;
            return true;
        }))) {
            assertEquals(1.0f, last[0], "the last progress report is 100%");
        }
        ModelLoadException e = assertThrows(ModelLoadException.class,
                () -> Model.load(TestModels.tiny(), ModelParams.defaults().withProgress(f -> false)));
        assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
    }

    @Test
    void aThrowingProgressListenerDoesNotKillTheProcess() {
        try (Model model = Model.load(TestModels.tiny(), ModelParams.defaults().withProgress(f -> {
            throw new IllegalStateException("listener bug");
        }))) {
            assertTrue(model.parameterCount() > 0);
        }
    }

    @Test
    void closeIsIdempotentAndUseAfterCloseFailsCleanly() {
        Model model = Model.load(TestModels.tiny(), ModelParams.defaults());
        Vocab vocab = model.vocab();
        model.close();
        assertDoesNotThrow(model::close);
        assertTrue(model.isClosed());
        assertThrows(IllegalStateException.class, model::parameterCount);
        assertThrows(IllegalStateException.class, () -> vocab.tokenize("hi", true, false));
        assertThrows(IllegalStateException.class, () -> model.newContext(ContextParams.defaults()));
    }

    @Test
    void missingFileDirectoryAndNonGgufGiveOneClearSentence(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("nope.gguf");
        assertTrue(assertThrows(ModelLoadException.class, () -> Model.load(missing, ModelParams.defaults()))
                .getMessage().contains("does not exist"));
        assertTrue(assertThrows(ModelLoadException.class, () -> Model.load(dir, ModelParams.defaults()))
                .getMessage().contains("is a directory"));
        Path text = Files.writeString(dir.resolve("notes.gguf"), "just some text");
        assertTrue(assertThrows(ModelLoadException.class, () -> Model.load(text, ModelParams.defaults()))
                .getMessage().contains("not a GGUF model file"));
    }

    @Test
    void aTruncatedModelIsRefusedBeforeLlamaCppSeesIt(@TempDir Path dir) throws IOException {
        byte[] bytes = Files.readAllBytes(TestModels.tiny());
        Path truncated = Files.write(dir.resolve("truncated.gguf"), Arrays.copyOf(bytes, bytes.length / 2));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> Model.load(truncated, ModelParams.defaults()));
        assertTrue(e.getMessage().startsWith(truncated.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("running past its end"), e.getMessage());
    }
}
