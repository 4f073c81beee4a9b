package dev.jseek.langchain4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jseek.Grammar;
import dev.jseek.chat.ChatTools;
import dev.jseek.chat.ChatTurn;
import dev.jseek.wire.OpenAiResult;
import dev.jseek.chat.ToolCall;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;

import java.util.ArrayList;
import java.util.List;

/** LangChain4j's messages, tools, response formats and responses, as jseek's and back. */
final class Mapping {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Mapping() {
    }

    static Grammar grammar(ResponseFormat format) {
        if (format == null || format.type() != ResponseFormatType.JSON) {
            return null;
        }
        if (format.jsonSchema() == null || format.jsonSchema().rootElement() == null) {
            return Grammar.json();
        }
        return Grammar.fromJsonSchema(schemaJson(format.jsonSchema().rootElement()));
    }

    private static String schemaJson(dev.langchain4j.model.chat.request.json.JsonSchemaElement element) {
        try {
            return JSON.writeValueAsString(JsonSchemaElementJsonUtils.toMap(element));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write the JSON schema: " + e.getMessage(), e);
        }
    }

    /** Tool specifications as OpenAI function tools, the array {@link ChatTools#parse} reads. */
    static String toolsJson(List<ToolSpecification> specs) {
        ArrayNode tools = JSON.createArrayNode();
        for (ToolSpecification spec : specs) {
            ObjectNode function = JSON.createObjectNode();
            function.put("name", spec.name());
            if (spec.description() != null) {
                function.put("description", spec.description());
            }
            JsonObjectSchema parameters = spec.parameters();
            try {
                function.set("parameters", parameters == null
                        ? JSON.readTree("{\"type\": \"object\", \"properties\": {}}")
                        : JSON.readTree(schemaJson(parameters)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("cannot read the parameters of tool " + spec.name() + ": " + e.getMessage(), e);
            }
            ObjectNode tool = JSON.createObjectNode();
            tool.put("type", "function");
            tool.set("function", function);
            tools.add(tool);
        }
        return tools.toString();
    }

    static dev.jseek.chat.ChatMessage toJseek(ChatMessage m) {
        return switch (m) {
            case SystemMessage s -> dev.jseek.chat.ChatMessage.system(s.text());
            case UserMessage u -> dev.jseek.chat.ChatMessage.user(userText(u));
            case AiMessage a -> {
                List<ToolCall> calls = new ArrayList<>();
                if (a.hasToolExecutionRequests()) {
                    for (ToolExecutionRequest r : a.toolExecutionRequests()) {
                        calls.add(new ToolCall(r.name(), r.arguments() == null ? "{}" : r.arguments(), r.id() == null ? "" : r.id()));
                    }
                }
                yield dev.jseek.chat.ChatMessage.assistant(a.text() == null ? "" : a.text(), calls);
            }
            case ToolExecutionResultMessage t -> dev.jseek.chat.ChatMessage.tool(t.id() == null ? "" : t.id(), t.text());
            default -> throw new IllegalArgumentException("jseek cannot send a " + m.type() + " message");
        };
    }

    private static String userText(UserMessage u) {
        StringBuilder text = new StringBuilder();
        for (Content c : u.contents()) {
            if (!(c instanceof TextContent t)) {
                throw new IllegalArgumentException("jseek reads text only, not " + c.type() + " content");
            }
            text.append(t.text());
        }
        return text.toString();
    }

    static ChatResponse response(ChatTurn turn) {
        List<ToolExecutionRequest> requests = new ArrayList<>();
        for (ToolCall call : turn.toolCalls()) {
            requests.add(ToolExecutionRequest.builder().id(call.id()).name(call.name()).arguments(call.arguments()).build());
        }
        AiMessage.Builder ai = AiMessage.builder()
                .text(requests.isEmpty() || !turn.answer().isBlank() ? turn.answer() : null)
                .thinking(turn.reasoning().isEmpty() ? null : turn.reasoning());
        if (!requests.isEmpty()) {
            ai.toolExecutionRequests(requests);
        }
        ChatTurn.Stats s = turn.stats();
        return ChatResponse.builder()
                .aiMessage(ai.build())
                .tokenUsage(new JseekTokenUsage(s.promptTokens(), s.generatedTokens(), s.promptTokens() - s.decodedPromptTokens()))
                .finishReason(finishReason(turn))
                .build();
    }

    /** The wire's one mapping of the stop reason, in LangChain4j's names. */
    private static FinishReason finishReason(ChatTurn turn) {
        return switch (OpenAiResult.Finish.of(turn)) {
            case STOP -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
            case TOOL_CALLS -> FinishReason.TOOL_EXECUTION;
            case CANCELLED -> FinishReason.OTHER;
        };
    }
}
