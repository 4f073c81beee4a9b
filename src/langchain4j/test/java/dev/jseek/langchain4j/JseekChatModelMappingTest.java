package dev.jseek.langchain4j;

import dev.jseek.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.chat.ChatMessage.Role;
import dev.jseek.chat.ReplyOptions;
import dev.jseek.chat.ChatTools;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/** How LangChain4j's messages, tools and parameters become the session's (no generation). */
class JseekChatModelMappingTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static final ToolSpecification WEATHER = ToolSpecification.builder().name("get_weather")
            .description("The weather in a city")
            .parameters(JsonObjectSchema.builder()
                    .addStringProperty("city", "the city")
                    .addIntegerProperty("days")
                    .addNumberProperty("latitude")
                    .addBooleanProperty("metric")
                    .addEnumProperty("unit", List.of("C", "F"))
                    .addProperty("tags", JsonArraySchema.builder().items(new JsonStringSchema()).build())
                    .required("city")
                    .build())
            .build();

    @Test
    void toolSpecificationsBecomeOpenAiFunctions() throws Exception {
        JsonNode tools = new ObjectMapper().readTree(Mapping.toolsJson(List.of(WEATHER,
                ToolSpecification.builder().name("now").build())));
        assertEquals(2, tools.size());
        JsonNode f = tools.get(0).path("function");
        assertEquals("function", tools.get(0).path("type").asText());
        assertEquals("get_weather", f.path("name").asText());
        assertEquals("The weather in a city", f.path("description").asText());
        JsonNode props = f.path("parameters").path("properties");
        assertEquals("object", f.path("parameters").path("type").asText());
        assertEquals("string", props.path("city").path("type").asText());
        assertEquals("the city", props.path("city").path("description").asText());
        assertEquals("integer", props.path("days").path("type").asText());
        assertEquals("number", props.path("latitude").path("type").asText());
        assertEquals("boolean", props.path("metric").path("type").asText());
        assertEquals("[\"C\",\"F\"]", props.path("unit").path("enum").toString());
        assertEquals("array", props.path("tags").path("type").asText());
        assertEquals("string", props.path("tags").path("items").path("type").asText());
        assertEquals("[\"city\"]", f.path("parameters").path("required").toString());
        assertEquals("object", tools.get(1).path("function").path("parameters").path("type").asText());
        assertEquals(List.of("get_weather", "now"),
                ChatTools.parse(tools.toString(), "test", ChatTools.Choice.AUTO).names());
    }

    @Test
    void messagesMapRoleByRole() {
        assertEquals(Role.SYSTEM, Mapping.toJseek(SystemMessage.from("be brief")).role());
        var user = Mapping.toJseek(UserMessage.from("hi"));
        assertEquals(Role.USER, user.role());
        assertEquals("hi", user.content());
        ToolExecutionRequest request = ToolExecutionRequest.builder().id("call_1").name("get_weather").arguments("{\"city\":\"Paris\"}").build();
        var ai = Mapping.toJseek(AiMessage.from(request));
        assertEquals(Role.ASSISTANT, ai.role());
        assertEquals("", ai.content());
        assertEquals("get_weather", ai.toolCalls().getFirst().name());
        assertEquals("{\"city\":\"Paris\"}", ai.toolCalls().getFirst().arguments());
        assertEquals("call_1", ai.toolCalls().getFirst().id());
        var tool = Mapping.toJseek(ToolExecutionResultMessage.from(request, "sunny"));
        assertEquals(Role.TOOL, tool.role());
        assertEquals("call_1", tool.toolCallId());
        assertEquals("sunny", tool.content());
    }

    @Test
    void requiredToolChoiceHoldsOnUserTurnsOnly() {
        JseekChatModel chat = JseekChatModel.builder().model(model).build();
        ChatRequestParameters p = ChatRequestParameters.builder().toolSpecifications(WEATHER).toolChoice(ToolChoice.REQUIRED).build();
        assertEquals(ChatTools.Choice.REQUIRED, chat.options(p, true).tools().choice());
        assertEquals(ChatTools.Choice.AUTO, chat.options(p, false).tools().choice());
        assertEquals(false, chat.options(p, true).tools().parallel());
        JseekChatModel always = JseekChatModel.builder().model(model).requireToolsAfterToolResults(true).build();
        assertEquals(ChatTools.Choice.REQUIRED, always.options(p, false).tools().choice());
        ChatRequestParameters none = ChatRequestParameters.builder().toolSpecifications(WEATHER).toolChoice(ToolChoice.NONE).build();
        assertEquals(ChatTools.Choice.NONE, chat.options(none, true).tools().choice());
        assertNull(chat.options(ChatRequestParameters.builder().build(), true).tools());
    }

    @Test
    void parametersOverrideTheBuilder() {
        JseekChatModel chat = JseekChatModel.builder().model(model).maxTokens(100).build();
        ReplyOptions o = chat.options(ChatRequestParameters.builder().temperature(0.25).topP(0.5).topK(7)
                .maxOutputTokens(33).stopSequences(List.of("END")).build(), true);
        assertEquals(0.25f, o.sampling().temperature());
        assertEquals(0.5f, o.sampling().topP());
        assertEquals(7, o.sampling().topK());
        assertEquals(33, o.maxTokens());
        assertEquals(List.of("END"), o.stopStrings());
        assertNull(o.grammar());
        assertEquals(100, chat.options(ChatRequestParameters.builder().build(), true).maxTokens());
    }

    @Test
    void aJsonResponseFormatBecomesAGrammar() {
        JseekChatModel chat = JseekChatModel.builder().model(model).build();
        assertNotNull(chat.options(ChatRequestParameters.builder().responseFormat(ResponseFormat.JSON).build(), true).grammar());
        ResponseFormat schema = ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder().name("x")
                .rootElement(JsonObjectSchema.builder().addBooleanProperty("ok").required("ok").build()).build()).build();
        assertNotNull(chat.options(ChatRequestParameters.builder().responseFormat(schema).build(), true).grammar());
        assertNull(chat.options(ChatRequestParameters.builder().responseFormat(ResponseFormat.TEXT).build(), true).grammar());
    }
}
