package dev.jseek.langchain4j;

import dev.jseek.TestModels;
import dev.jseek.chat.LlamaSource;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatTemplate;
import dev.langchain4j.agent.tool.P;
import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.agent.tool.ToolSpecifications;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link JseekChatModel} on the tiny random-weight model: reasoning and answer apart, streaming, an AiServices tool
 * call under DeepSeek V3.2's template, and a JSON-schema answer. Sampling is seeded, so each run is the same.
 */
class JseekChatModelTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static SamplerParams sampled(long seed) {
        return new SamplerParams(0.8f, SamplerParams.SAMPLED_TOP_K, 0.95f, 0.0f, 1.0f, 64, 0, 0, seed);
    }

    /** Every chat model a test builds, closed after the test (each holds a context). */
    private final List<JseekChatModel> built = new CopyOnWriteArrayList<>();

    @AfterEach
    void closeModels() {
        built.forEach(JseekChatModel::close);
    }

    private JseekChatModel keep(JseekChatModel chat) {
        built.add(chat);
        return chat;
    }

    private static JseekChatModel.Builder tiny() {
        return JseekChatModel.builder().model(model).contextSize(1024).sampling(sampled(1));
    }

    @Test
    void chatGivesThinkingAndTextApart() {
        JseekChatModel chat = keep(tiny().thinking(true).reasoningBudget(16).maxTokens(48).build());
        ChatResponse response = chat.chat(ChatRequest.builder().messages(UserMessage.from("Hello, who are you?")).build());
        AiMessage ai = response.aiMessage();
        String reply = "thinking=" + ai.thinking() + " text=" + ai.text();
        assertNotNull(ai.thinking(), reply);
        assertFalse(ai.thinking().isBlank(), reply);
        assertNotNull(ai.text(), reply);
        assertFalse(ai.text().isBlank(), reply);
        assertFalse(ai.hasToolExecutionRequests(), reply);
        assertTrue(response.tokenUsage().outputTokenCount() > 0, reply);
        assertTrue(response.tokenUsage().inputTokenCount() > 0, reply);
        assertEquals(FinishReason.LENGTH, response.finishReason(), reply);
    }

    @Test
    void streamedPartsMakeTheFinalText() throws Exception {
        JseekChatModel chat = keep(tiny().thinking(true).reasoningBudget(8).maxTokens(40).build());
        StringBuilder text = new StringBuilder();
        StringBuilder thinking = new StringBuilder();
        AtomicInteger completions = new AtomicInteger();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        chat.chat(ChatRequest.builder().messages(UserMessage.from("Tell me a story.")).build(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                text.append(partial);
            }

            @Override
            public void onPartialThinking(PartialThinking partial) {
                thinking.append(partial.text());
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                completions.incrementAndGet();
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                errors.add(error);
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get();
        assertEquals(List.of(), errors);
        assertEquals(1, completions.get());
        assertFalse(text.isEmpty());
        assertEquals(response.aiMessage().text(), text.toString());
        assertEquals(response.aiMessage().thinking(), thinking.toString());
    }

    @Test
    void streamingReportsAnErrorInsteadOfThrowing() throws Exception {
        JseekChatModel chat = keep(tiny().maxTokens(8).build());
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        // a chat template may not end on an assistant message: the session refuses it, and the handler hears of it
        chat.chat(ChatRequest.builder().messages(UserMessage.from("Hi"), AiMessage.from("Hello")).build(), new StreamingChatResponseHandler() {
            @Override
            public void onCompleteResponse(ChatResponse response) {
                error.complete(null);
            }

            @Override
            public void onError(Throwable e) {
                error.complete(e);
            }
        });
        assertNotNull(error.get(), "an assistant message last is not a turn the session can answer");
    }

    interface Assistant {
        String chat(String message);
    }

    /**
     * A tool whose single parameter the grammar bounds. LangChain4j's schemas carry no integer bounds, and the grammar
     * lets an integer run to 16 digits (an int parameter on random weights gets a number out of range, which
     * AiServices refuses), while a string, even an enum, is free text in V3.2's DSML format up to a closing tag random
     * weights never write: a boolean is the bounded parameter that a {@code @Tool} method can have.
     */
    static final class Forecast {
        final List<Boolean> calls = new CopyOnWriteArrayList<>();

        @Tool("The weather forecast for today or tomorrow")
        String forecast(@P("true for tomorrow, false for today") boolean tomorrow) {
            calls.add(tomorrow);
            return tomorrow ? "Rain tomorrow." : "Sunny today.";
        }
    }

    @Test
    void aiServicesCallsTheToolWithAValidArgument() {
        try (ChatTemplate template = ChatTemplate.jinja(model, LlamaSource.read("models/templates/deepseek-ai-DeepSeek-V3.2.jinja"),
                "DeepSeek V3.2's template")) {
            // room for the call's DSML markup on random weights (with 96 tokens this seed's call is cut, and dropped);
            // REQUIRED holds for the first call only: after the tool result the choice is AUTO, and the loop ends
            JseekChatModel chat = keep(tiny().template(template).thinking(false).maxTokens(160)
                    .toolChoice(ToolChoice.REQUIRED).build());
            Forecast tools = new Forecast();
            Assistant assistant = AiServices.builder(Assistant.class).chatModel(chat).tools(tools).build();
            String answer = assistant.chat("What is the forecast for tomorrow?");
            assertNotNull(answer);
            assertFalse(tools.calls.isEmpty(), "the tool was not called; the answer: " + answer);
            System.out.println("tool calls " + tools.calls + ", then: " + answer);
        }
    }

    /**
     * The second step of a tool loop (the call, then the tool's result) finds the first step in the KV cache: the
     * first prompt is reused, not decoded again.
     */
    @Test
    void aToolLoopsNextStepReusesTheKvCache() {
        try (ChatTemplate template = ChatTemplate.jinja(model, LlamaSource.read("models/templates/deepseek-ai-DeepSeek-V3.2.jinja"),
                "DeepSeek V3.2's template")) {
            JseekChatModel chat = keep(tiny().template(template).thinking(false).maxTokens(160).build());
            List<ToolSpecification> tools = ToolSpecifications.toolSpecificationsFrom(Forecast.class);
            UserMessage question = UserMessage.from("What is the forecast for tomorrow?");
            ChatResponse call = chat.chat(ChatRequest.builder().messages(question).toolSpecifications(tools)
                    .toolChoice(ToolChoice.REQUIRED).build());
            assertTrue(call.aiMessage().hasToolExecutionRequests(), call.toString());
            ToolExecutionRequest request = call.aiMessage().toolExecutionRequests().getFirst();
            ChatResponse answer = chat.chat(ChatRequest.builder().toolSpecifications(tools)
                    .messages(question, call.aiMessage(), ToolExecutionResultMessage.from(request, "Rain tomorrow.")).build());
            JseekTokenUsage first = (JseekTokenUsage) call.tokenUsage();
            JseekTokenUsage second = (JseekTokenUsage) answer.tokenUsage();
            assertEquals(0, first.cachedInputTokenCount(), "nothing to reuse at the first step");
            // all of the first prompt but its last tokens (the generation prompt, which the template writes otherwise
            // for a past turn: 400 of 402 here) comes from the cache
            assertTrue(second.cachedInputTokenCount() >= first.inputTokenCount() - 4,
                    "the first step's prompt came from the cache: " + first + " then " + second);
            assertEquals(first.add(second).cachedInputTokenCount(), second.cachedInputTokenCount(), "usage adds up");
            assertTrue(second.cachedInputTokenCount() < second.inputTokenCount(), second.toString());
        }
    }

    @Test
    void aJsonSchemaResponseParsesAndMatches() throws Exception {
        JseekChatModel chat = keep(tiny().thinking(false).maxTokens(96).build());
        JsonSchema schema = JsonSchema.builder().name("forecast").rootElement(JsonObjectSchema.builder()
                .addEnumProperty("sky", List.of("sunny", "cloudy", "rainy"))
                .addBooleanProperty("windy")
                .addIntegerProperty("days")
                .required("sky", "windy", "days")
                .additionalProperties(false)
                .build()).build();
        ChatResponse response = chat.chat(ChatRequest.builder().messages(UserMessage.from("The forecast, please."))
                .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(schema).build()).build());
        String text = response.aiMessage().text();
        JsonNode json = new ObjectMapper().readTree(text);
        assertTrue(json.isObject(), text);
        assertTrue(List.of("sunny", "cloudy", "rainy").contains(json.path("sky").asText()), text);
        assertTrue(json.path("windy").isBoolean(), text);
        assertTrue(json.path("days").isIntegralNumber(), text);
        assertEquals(3, json.size(), text);
        assertEquals(FinishReason.STOP, response.finishReason(), text);
    }
}
