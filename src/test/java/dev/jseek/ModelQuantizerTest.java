package dev.jseek;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelQuantizerTest {

    @Test
    void quantizedModelsAreSmallerLoadAndGenerate(@TempDir Path dir) throws IOException {
        for (QuantType type : List.of(QuantType.Q8_0, QuantType.Q4_K_M)) {
            Path out = dir.resolve("tiny-" + type + ".gguf");
            List<Double> progress = new ArrayList<>();
            ModelQuantizer.quantize(TestModels.tiny(), out, type, 2, progress::add);
            assertTrue(Files.size(out) < Files.size(TestModels.tiny()), type + " is not smaller");
            assertFalse(Files.exists(dir.resolve(out.getFileName() + ".partial")));
            assertTrue(progress.size() > 10, "one report per tensor: " + progress.size());
            for (int i = 1; i < progress.size(); i++) {
                assertTrue(progress.get(i) >= progress.get(i - 1), "progress went backwards: " + progress);
            }
            assertEquals(1.0, progress.getLast());
            try (Model model = Model.load(out, ModelParams.defaults());
                 Context ctx = model.newContext(ContextParams.defaults());
                 Sampler s = new Sampler(model.vocab(), SamplerParams.greedy());
                 Generator g = new Generator(ctx, 0)) {
                assertTrue(model.description().contains(type == QuantType.Q8_0 ? "Q8_0" : "Q4_K"), model.description());
                assertTrue(g.generate(model.vocab().tokenize("Hello", true, false), s, 8, (t, x) -> { }).tokens().length > 0);
            }
        }
    }

    @Test
    void refusalsAreClear(@TempDir Path dir) {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ModelQuantizer.quantize(TestModels.tiny(), dir.resolve("x.gguf"), QuantType.IQ2_XXS, 1, f -> { }))
                .getMessage().contains("importance matrix"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ModelQuantizer.quantize(TestModels.tiny(), TestModels.tiny(), QuantType.Q8_0, 1, f -> { }))
                .getMessage().contains("is the input"));
        assertThrows(ModelLoadException.class,
                () -> ModelQuantizer.quantize(dir.resolve("missing.gguf"), dir.resolve("x.gguf"), QuantType.Q8_0, 1, f -> { }));
        assertThrows(IllegalArgumentException.class, () -> QuantType.named("Q9_X"));
    }
}
