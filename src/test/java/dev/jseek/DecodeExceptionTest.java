package dev.jseek;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Each documented llama_decode result reaches the caller as exactly its own exception type, code and sentence
 * (DecodeException.of): 1 is ContextFull, 2 Aborted, -1 InvalidBatch. Made to happen for real, no mocks.
 */
class DecodeExceptionTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int someToken() {
        return model.vocab().tokenize("a", false, false)[0];
    }

    @Test
    void aTokenOutsideTheVocabularyIsAnInvalidBatch() {
        try (Context ctx = model.newContext(ContextParams.defaults().withContextSize(256));
             Batch batch = new Batch(1, 1)) {
            batch.add(model.vocab().size() + 5, 0, 0, true);
            DecodeException.InvalidBatch e = assertThrows(DecodeException.InvalidBatch.class, () -> ctx.decode(batch));
            assertEquals(-1, e.code());
            assertEquals("llama.cpp rejected the batch (invalid token, position or sequence id).", e.getMessage());
        }
    }

    @Test
    void oneTokenMoreThanAFullContextHoldsIsContextFullWithBothSizes() {
        try (Context ctx = model.newContext(ContextParams.defaults().withContextSize(256));
             Batch batch = new Batch(256, 1)) {
            int token = someToken();
            for (int pos = 0; pos < 256; pos++) {
                batch.add(token, pos, 0, pos == 255);
            }
            ctx.decode(batch);
            batch.clear();
            batch.add(token, 256, 0, true);
            DecodeException.ContextFull e = assertThrows(DecodeException.ContextFull.class, () -> ctx.decode(batch));
            assertEquals(1, e.code());
            assertEquals("The context of 256 tokens has no room for 1 more token; start a new session or use a larger context size.",
                    e.getMessage());
        }
    }

    @Test
    void aCancelledDecodeIsAborted() {
        try (Context ctx = model.newContext(ContextParams.defaults().withContextSize(256));
             Batch batch = new Batch(8, 1)) {
            for (int pos = 0; pos < 8; pos++) {
                batch.add(someToken(), pos, 0, pos == 7);
            }
            ctx.cancel();
            DecodeException.Aborted e = assertThrows(DecodeException.Aborted.class, () -> ctx.decode(batch));
            assertEquals(2, e.code());
            assertEquals("Decoding was cancelled.", e.getMessage());
            ctx.resetCancel();
            ctx.clearMemory();
            ctx.decode(batch);
        }
    }
}
