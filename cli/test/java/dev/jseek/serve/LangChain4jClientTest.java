package dev.jseek.serve;

import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
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
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** LangChain4j's OpenAI module (from Maven Central, written by others) against the server: thinking apart, tools, schemas. */
class LangChain4jClientTest {

    @Test
    void chatAndStreamingChatSeeThinkingAndAnswerApart() throws Exception {
        try (TestServer s = TestServer.start(TestServer.settings("lc4j", 2, 8, null), TestServer.HEARTBEAT_EVERY_TOKEN)) {
            OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(s.server.url() + "/v1").apiKey("lc4j").modelName("tiny")
                    .maxTokens(40).returnThinking(true).build();
            ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Why is the sea salty?")).build());
            assertFalse(r.aiMessage().thinking() == null || r.aiMessage().thinking().isEmpty(), "thinking: " + r);
            assertFalse(r.aiMessage().text().isEmpty(), r.toString());
            assertEquals(40, r.tokenUsage().outputTokenCount());

            OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(s.server.url() + "/v1").apiKey("lc4j")
                    .modelName("tiny").maxTokens(40).returnThinking(true).build();
            StringBuilder thinking = new StringBuilder();
            StringBuilder answer = new StringBuilder();
            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            streaming.chat(List.of(UserMessage.from("Why is the sea salty?")), new StreamingChatResponseHandler() {
                @Override
                public void onPartialThinking(PartialThinking partial) {
                    thinking.append(partial.text());
                }

                @Override
                public void onPartialResponse(String partial) {
                    answer.append(partial);
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });
            ChatResponse streamed = done.get(2, TimeUnit.MINUTES);
            assertFalse(thinking.isEmpty(), "no partial thinking");
            assertFalse(answer.isEmpty(), "no partial answer");
            assertEquals(answer.toString(), streamed.aiMessage().text());
            assertEquals(thinking.toString(), streamed.aiMessage().thinking());
        }
    }

    @Test
    void aJsonSchemaResponseFormat() throws Exception {
        try (TestServer s = TestServer.start(TestServer.settings(null, 1, 8, null), TestServer.HEARTBEAT_EVERY_TOKEN)) {
            OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(s.server.url() + "/v1").apiKey("none").modelName("tiny")
                    .strictJsonSchema(true).build();
            ResponseFormat format = ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder().name("verdict")
                    .rootElement(JsonObjectSchema.builder().addEnumProperty("answer", List.of("yes", "no")).required("answer").build())
                    .build()).build();
            ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Yes or no?")).responseFormat(format).build());
            String answer = Json.MAPPER.readTree(r.aiMessage().text()).path("answer").asText();
            assertTrue(List.of("yes", "no").contains(answer), r.aiMessage().text());
        }
    }

    @Test
    void aRequiredToolBecomesAToolExecutionRequestAndItsResultGoesBack() throws Exception {
        try (TestServer s = TestServer.start(TestServer.settings(null, 1, 8, TestServer.v32Template()), TestServer.HEARTBEAT_EVERY_TOKEN)) {
            OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(s.server.url() + "/v1").apiKey("none").modelName("tiny")
                    .maxTokens(160).parallelToolCalls(false)
                    .customParameters(Map.of("chat_template_kwargs", Map.of("thinking", false))).build();
            // a number, not a string: a string argument is free text up to its closing tag, which random weights never write
            ToolSpecification weather = ToolSpecification.builder().name("get_weather").description("The weather in days")
                    .parameters(JsonObjectSchema.builder().addIntegerProperty("days").required("days").build()).build();
            UserMessage question = UserMessage.from("Weather in Paris?");
            ChatResponse r = chat.chat(ChatRequest.builder().messages(question).toolSpecifications(weather).toolChoice(ToolChoice.REQUIRED).build());
            assertTrue(r.aiMessage().hasToolExecutionRequests(), r.toString());
            ToolExecutionRequest call = r.aiMessage().toolExecutionRequests().getFirst();
            assertEquals("get_weather", call.name());
            assertNotNull(call.id());
            assertTrue(call.arguments().matches("\\{\"days\":-?\\d+\\}"), call.arguments());
            ToolExecutionRequest clean = ToolExecutionRequest.builder().id(call.id()).name(call.name()).arguments("{\"days\": 2}").build();
            ChatResponse after = chat.chat(ChatRequest.builder().messages(question, AiMessage.from(clean),
                    ToolExecutionResultMessage.from(clean, "sunny, 21 C")).toolSpecifications(weather).build());
            assertNotNull(after.aiMessage());
        }
    }
}
