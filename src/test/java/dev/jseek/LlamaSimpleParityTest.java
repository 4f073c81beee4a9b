package dev.jseek;

import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The oracle: greedy decoding of 32 tokens through jseek prints exactly what llama.cpp's own llama-simple
 * (same build, same model, same prompt) prints. llama-simple writes the prompt's pieces, the generated
 * pieces and a newline to stdout, rendering control tokens; jseek's text is compared in the same form.
 */
class LlamaSimpleParityTest {
    private static final int N_PREDICT = 32;

    @RegisterExtension
    static final LoadedModel MODEL = new LoadedModel(TestModels::tiny);

    @ParameterizedTest
    @ValueSource(strings = {"The quick brown fox jumps over the lazy dog", "深度求索的模型会思考吗？", "Whales 🐳 and dolphins 🐬 sing"})
    void greedyOutputEqualsLlamaSimple(String prompt) throws Exception {
        assertEquals(llamaSimple(TestModels.tiny(), prompt), greedyLikeLlamaSimple(MODEL.get(), prompt));
    }

    /** What llama-simple prints for {@code prompt}, made by jseek: the prompt's pieces, 32 greedy tokens, a newline. */
    static String greedyLikeLlamaSimple(Model model, String prompt) {
        int[] promptTokens = model.vocab().tokenize(prompt, true, true); // as llama-simple: add and parse special
        // Same context shape as llama-simple: n_ctx = n_prompt + n_predict - 1, n_batch = n_prompt, 4 threads.
        ContextParams params = new ContextParams(promptTokens.length + N_PREDICT - 1, promptTokens.length,
                promptTokens.length, 1, 4, 4);
        try (Context ctx = model.newContext(params);
             Sampler greedy = new Sampler(model.vocab(), SamplerParams.greedy());
             Generator generator = new Generator(ctx, 0)) {
            Generator.Result result = generator.generate(promptTokens, greedy, N_PREDICT, (t, s) -> { });
            assertTrue(result.tokens().length > 0, "generated nothing");
            return model.vocab().detokenize(promptTokens, true) + result.text() + "\n";
        }
    }

    /** llama-simple's stdout for 32 tokens of {@code prompt} on {@code modelFile}. */
    static String llamaSimple(Path modelFile, String prompt) {
        return LlamaTools.simple(modelFile, prompt, N_PREDICT);
    }
}
