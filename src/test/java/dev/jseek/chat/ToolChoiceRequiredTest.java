package dev.jseek.chat;

import dev.jseek.Generator;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplerParams;
import dev.jseek.TestModels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tool choice "required" on the tiny random model carrying DeepSeek's V3.2 and V4 templates (llama.cpp's copies
 * in models/templates): whatever the sampler draws (10 seeds, thinking off), every reply calls a listed tool.
 *
 * <p>llama.cpp's DSML grammar leaves a string parameter's value free until {@code </｜DSML｜parameter>}, which a
 * random-weight model essentially never samples, so a {@code city: string} call always runs into the token limit
 * with its arguments unfinished: for get_weather the test asserts that the call is made, and that any call that did
 * finish validates. A tool whose parameter the grammar bounds ({@code days: integer 1..7}) always finishes its
 * first call within the limit, and every finished call's arguments must validate against the tool's parameters
 * schema (networknt's validator, not llama.cpp). jseek's requests leave parallel calls to the template's default
 * (on), so the random model may go on to further calls until the limit cuts the last. With thinking on under a
 * 16-token reasoning budget, the reasoning ends and the call follows.
 */
class ToolChoiceRequiredTest {
    private static final String WEATHER = """
            {"type": "object", "properties": {"city": {"type": "string", "description": "City name"}}, "required": ["city"]}""";
    private static final String FORECAST = """
            {"type": "object", "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 7}}, "required": ["days"]}""";
    private static final int SEEDS = 10;
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static String tools(String name, String description, String parameters) {
        return """
                [{"type": "function", "function": {"name": "%s", "description": "%s", "parameters": %s}}]"""
                .formatted(name, description, parameters);
    }

    private static SamplerParams sampled(long seed) {
        return new SamplerParams(0.8f, SamplerParams.SAMPLED_TOP_K, 0.95f, 0.0f, 1.0f, 64, 0, 0, seed);
    }

    private static ChatOptions options(ChatTemplate template, String tools, long seed, int maxTokens) {
        return ChatOptions.defaults().withTemplate(template)
                .withContext(ChatOptions.defaults().context().withContextSize(1024))
                // one call per reply: the grammar then ends the reply after it (random weights would call again and again)
                .withTools(ChatTools.parse(tools, "the test's tools", ChatTools.Choice.REQUIRED).withParallel(false))
                .withSampling(sampled(seed)).withMaxTokens(maxTokens);
    }

    private static ChatTemplate template(String file) {
        return ChatTemplate.jinja(model, LlamaSource.read("models/templates/" + file), "the template file " + file);
    }

    private static String describe(ChatTurn turn, String where) {
        return where + ": reasoning=" + quote(turn.reasoning()) + " answer=" + quote(turn.answer()) + " calls="
                + turn.toolCalls() + " stop=" + turn.stop();
    }

    /**
     * Asserts the reply calls only {@code name}, and that every finished call's arguments validate: every call but
     * the last, and the last too unless the token limit cut the reply. With {@code firstMustFinish}, the first call
     * must be finished (the grammar bounds its parameter, so it fits in the token limit).
     */
    private static void assertCalls(ChatTurn turn, String name, String parameters, boolean firstMustFinish, String reply) {
        assertFalse(turn.toolCalls().isEmpty(), "no tool call in " + reply);
        SchemaCheck check = new SchemaCheck(parameters);
        List<ToolCall> calls = turn.toolCalls();
        for (int i = 0; i < calls.size(); i++) {
            ToolCall call = calls.get(i);
            assertEquals(name, call.name(), "a call of an unknown tool in " + reply);
            boolean finished = i < calls.size() - 1 || turn.stop() != Generator.StopReason.MAX_TOKENS;
            if (finished || (i == 0 && firstMustFinish)) {
                List<String> errors = check.errors(call.arguments());
                assertTrue(errors.isEmpty(), "arguments " + call.arguments() + " of call " + i + " do not validate (" + errors + ") in " + reply);
            }
        }
    }

    private static String quote(String s) {
        return "\"" + s.replace("\n", "\\n") + "\"";
    }

    /**
     * A string argument is free text until its closing tag in llama.cpp's DSML grammar, which random weights never
     * write: the reply runs out of tokens inside the call. The session reads a cut reply as llama.cpp reads a stream
     * in progress, which reports no unfinished DSML call (an unfinished call with partial JSON arguments would be
     * dropped with a notice); either way none reaches the history, where the template would refuse the next turn.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"deepseek-ai-DeepSeek-V3.2.jinja", "deepseek-ai-DeepSeek-V4.jinja"})
    void aCallCutByTheTokenLimitNeverReachesTheHistory(String file) {
        try (ChatTemplate template = template(file);
             ChatSession chat = new ChatSession(model, options(template,
                     tools("get_weather", "Get the current weather in a city", WEATHER), 1, 32).withThinking(false))) {
            List<String> notices = new java.util.ArrayList<>();
            ChatTurn turn = chat.send("What is the weather in Paris?", new ChatListener() {
                @Override
                public void onNotice(String text) {
                    notices.add(text);
                }
            });
            String reply = describe(turn, file + " get_weather");
            assertEquals(Generator.StopReason.MAX_TOKENS, turn.stop(), reply);
            assertEquals(List.of(), turn.toolCalls(), reply);
            assertTrue(notices.stream().noneMatch(n -> n.contains("could not read")), notices + " " + reply);
            assertTrue(chat.history().getLast().toolCalls().isEmpty(), "the unfinished call stays out of the history");
            assertFalse(chat.renderPrompt(ChatMessage.user("And tomorrow?")).isEmpty(), "the next turn renders");
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"deepseek-ai-DeepSeek-V3.2.jinja", "deepseek-ai-DeepSeek-V4.jinja"})
    void everySampledBoundedCallValidatesWithThinkingOff(String file) {
        try (ChatTemplate template = template(file)) {
            for (long seed = 1; seed <= SEEDS; seed++) {
                try (ChatSession chat = new ChatSession(model, options(template,
                        tools("get_forecast", "The weather forecast for the next days", FORECAST), seed, 128).withThinking(false))) {
                    ChatTurn turn = chat.send("What is the forecast for 3 days?", ChatListener.silent());
                    String reply = describe(turn, file + " get_forecast seed " + seed);
                    System.out.println(reply);
                    assertCalls(turn, "get_forecast", FORECAST, true, reply);
                    assertEquals(1, turn.toolCalls().size(), "one call, as parallel calls are off: " + reply);
                    assertEquals("", turn.reasoning().strip(), "thinking is off, yet there is reasoning: " + reply);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"deepseek-ai-DeepSeek-V3.2.jinja", "deepseek-ai-DeepSeek-V4.jinja"})
    void withThinkingOnTheBudgetEndsTheReasoningAndTheCallFollows(String file) {
        try (ChatTemplate template = template(file)) {
            for (long seed = 1; seed <= 2; seed++) {
                try (ChatSession chat = new ChatSession(model, options(template,
                        tools("get_forecast", "The weather forecast for the next days", FORECAST), seed, 160)
                        .withThinking(true).withReasoningBudget(16))) {
                    ChatTurn turn = chat.send("What is the forecast for 3 days?", ChatListener.silent());
                    String reply = describe(turn, file + " thinking, seed " + seed);
                    System.out.println(reply);
                    assertCalls(turn, "get_forecast", FORECAST, true, reply);
                    assertTrue(turn.stats().reasoningTokens() > 0, "no reasoning before the call: " + reply);
                    assertTrue(turn.stats().reasoningTokens() <= 16, "reasoning ran past the 16-token budget: " + reply);
                    assertFalse(turn.reasoning().isBlank(), "the reasoning is empty: " + reply);
                }
            }
        }
    }
}
