package dev.jseek;

import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTurn;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Grammar-constrained output on the tiny model, whose unconstrained output is random text. */
class GrammarTest {
    @RegisterExtension
    static final LoadedModel MODEL = new LoadedModel(TestModels::tiny);

    private static final Grammar YES_NO = Grammar.of("root ::= \"yes\" | \"no\"");

    private static Generator.Result generate(Grammar grammar, SamplerParams params, int max) {
        try (Context ctx = MODEL.get().newContext(ContextParams.defaults());
             Sampler sampler = new Sampler(MODEL.get().vocab(), params, grammar);
             Generator g = new Generator(ctx, 0)) {
            return g.generate(MODEL.get().vocab().tokenize("Answer:", true, false), sampler, max, (t, s) -> { });
        }
    }

    @Test
    void aGrammarForcesItsLanguageEvenOnRandomWeights() {
        for (long seed = 1; seed <= 5; seed++) {
            Generator.Result r = generate(YES_NO, SamplerParams.deepSeekR1().withSeed(seed), 20);
            assertTrue(Set.of("yes", "no").contains(r.text()), "seed " + seed + ": " + r.text());
            assertEquals(Generator.StopReason.END_OF_GENERATION, r.stopReason(), "a finished grammar allows only the end");
        }
        Generator.Result free = generate(null, SamplerParams.greedy(), 20);
        assertFalse(Set.of("yes", "no").contains(free.text()), "without the grammar the model rambles: " + free.text());
    }

    /**
     * A lazy grammar (llama.cpp's for tool choice auto) lets the model write freely until its trigger appears, then
     * holds it to the grammar from the trigger on. The trigger is a word the free greedy output is known to contain,
     * so the test does not wait on chance.
     */
    @Test
    void aLazyGrammarWaitsForItsTriggerThenConstrainsFromIt() {
        Generator.Result free = generate(null, SamplerParams.greedy(), 12);
        String word = null;
        for (int i = 2; i < free.tokens().length && word == null; i++) {
            String piece = MODEL.get().vocab().detokenize(new int[] {free.tokens()[i]}, false);
            if (piece.strip().length() >= 3 && piece.strip().chars().allMatch(Character::isLetter)) {
                word = piece.strip();
            }
        }
        assertTrue(word != null, "a plain word in the free output: " + free.text());
        String escaped = word.replaceAll("[.^$|()*+?\\[\\]{}\\\\]", "\\\\$0");
        Grammar lazy = Grammar.lazy("root ::= \"" + word + "\" \" yes\"", java.util.List.of(escaped), java.util.List.of());
        Generator.Result r = generate(lazy, SamplerParams.greedy(), 40);
        int at = r.text().indexOf(word);
        assertTrue(at > 0, "free text before the trigger, as without the grammar: " + r.text());
        assertEquals(free.text().substring(0, at), r.text().substring(0, at), "nothing is constrained before the trigger");
        assertTrue(r.text().endsWith(word + " yes"), "from the trigger on, the grammar: " + r.text());
        assertEquals(Generator.StopReason.END_OF_GENERATION, r.stopReason(), r.text());
    }

    @Test
    void theJsonGrammarParsesAndConstrainsTheFirstCharacter() {
        Generator.Result r = generate(Grammar.json(), SamplerParams.greedy(), 32);
        String out = r.text().strip();
        assertFalse(out.isEmpty());
        assertTrue("{[\"-0123456789tfn".indexOf(out.charAt(0)) >= 0, out);
    }

    @Test
    void aBrokenGrammarIsAClearError() {
        // the caller's mistake (the CLI's exit 2, a server's 400), not a failure of the model
        InvalidRequestException e = assertThrows(InvalidRequestException.class,
                () -> new Sampler(MODEL.get().vocab(), SamplerParams.greedy(), Grammar.of("root ::= (")));
        assertTrue(e.getMessage().startsWith("The grammar does not parse"), e.getMessage());
    }

    @Test
    void inAChatTheGrammarConstrainsTheAnswerNotTheReasoning() {
        ChatOptions options = ChatOptions.defaults().withSampling(SamplerParams.greedy()).withMaxTokens(40)
                .withReasoningBudget(6).withGrammar(YES_NO);
        try (ChatSession chat = new ChatSession(MODEL.get(), options)) {
            ChatTurn turn = chat.send("Is the sea salty?", ChatListener.silent());
            assertTrue(turn.stats().reasoningTokens() > 0, "the reasoning was free text");
            assertTrue(Set.of("yes", "no").contains(turn.answer()), turn.answer());
        }
    }

    @Test
    void aConstrainedSamplerRefusesTokensItDidNotChooseInsteadOfCrashingTheJvm() {
        try (Sampler s = new Sampler(MODEL.get().vocab(), SamplerParams.greedy(), YES_NO)) {
            int notYesOrNo = MODEL.get().vocab().tokenize("banana", false, false)[0];
            // llama.cpp would throw a C++ exception here, which ends the process when it crosses into Java.
            assertThrows(IllegalStateException.class, () -> s.accept(notYesOrNo));
        }
    }
}
