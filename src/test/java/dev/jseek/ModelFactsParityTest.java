package dev.jseek;

import dev.jseek.gguf.GgufReader;
import dev.jseek.models.ModelFacts;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** `jseek info` reads the header in Java; its figures must agree with what llama.cpp reports after loading. */
class ModelFactsParityTest {
    @Test
    void parameterCountSizeAndShapeAgreeWithLlamaCpp() throws IOException {
        ModelFacts facts = ModelFacts.of(GgufReader.read(TestModels.tiny()));
        try (Model model = Model.load(TestModels.tiny(), ModelParams.defaults())) {
            assertEquals(model.parameterCount(), facts.parameters());
            assertEquals(model.sizeBytes(), facts.weightBytes());
            assertEquals(model.layerCount(), facts.layers());
            assertEquals(model.embeddingLength(), facts.embeddingLength());
            assertEquals(model.trainedContextLength(), facts.contextLength());
            assertEquals(model.vocab().size(), facts.vocabularySize());
        }
    }
}
