package dev.jseek.chat;

import dev.jseek.Generator;
import dev.jseek.Grammar;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplerParams;
import dev.jseek.TestModels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Answers under llama.cpp's grammar for a JSON Schema ({@link Grammar#fromJsonSchema}) on the tiny random
 * model with its own R1 template, thinking on under a reasoning budget: the reasoning stays free text and every
 * answer, over 20 seeds, validates against the schema (networknt's validator, not llama.cpp).
 */
class JsonSchemaAnswerTest {
    /** A string (bounded, so a random model's answer ends), an integer and an enum, all required. */
    private static final String SCHEMA = """
            {"type": "object",
             "properties": {
               "name": {"type": "string", "maxLength": 8},
               "age": {"type": "integer", "minimum": 0, "maximum": 150},
               "color": {"enum": ["red", "green", "blue"]}
             },
             "required": ["name", "age", "color"],
             "additionalProperties": false}""";
    private static final int SEEDS = 20;
    private static final int BUDGET = 4;
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void everySampledAnswerValidatesAgainstTheSchemaAndTheReasoningStaysFree() {
        Grammar grammar = Grammar.fromJsonSchema(SCHEMA);
        SchemaCheck check = new SchemaCheck(SCHEMA);
        int reasoned = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            ChatOptions options = ChatOptions.defaults()
                    .withContext(ChatOptions.defaults().context().withContextSize(512))
                    .withSampling(new SamplerParams(0.8f, SamplerParams.SAMPLED_TOP_K, 0.95f, 0.0f, 1.0f, 64, 0, 0, seed))
                    .withThinking(true).withReasoningBudget(BUDGET).withMaxTokens(64).withGrammar(grammar);
            try (ChatSession chat = new ChatSession(model, options)) {
                ChatTurn turn = chat.send("Describe a person as JSON.", ChatListener.silent());
                String reply = "seed " + seed + ": reasoning=\"" + turn.reasoning().replace("\n", "\\n") + "\" answer=\""
                        + turn.answer().replace("\n", "\\n") + "\" stop=" + turn.stop() + " reasoning tokens=" + turn.stats().reasoningTokens();
                System.out.println(reply);
                assertNotEquals(Generator.StopReason.MAX_TOKENS, turn.stop(), "the answer did not end: " + reply);
                List<String> errors = check.errors(turn.answer());
                assertTrue(errors.isEmpty(), "the answer does not validate (" + errors + "): " + reply);
                assertTrue(turn.stats().reasoningTokens() <= BUDGET, "reasoning ran past the budget: " + reply);
                reasoned += turn.reasoning().isBlank() ? 0 : 1;
            }
        }
        // The reasoning is sampled without the grammar: a random model writes some (not JSON) in most seeds.
        assertTrue(reasoned > 0, "no seed wrote any reasoning: the grammar may be constraining the reasoning too");
    }
}
