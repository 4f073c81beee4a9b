package dev.jseek.cli;

import dev.jseek.chat.ChatTurn;
import dev.jseek.chat.ToolCall;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/** Tool calls in OpenAI's wire shape, both ways, and as one line for people. */
final class ToolCalls {
    private ToolCalls() {
    }

    /** [{"id", "type": "function", "function": {"name", "arguments"}}], arguments as JSON text as OpenAI sends them. */
    static ArrayNode toJson(List<ToolCall> calls) {
        ArrayNode array = JsonNodeFactory.instance.arrayNode();
        for (ToolCall c : calls) {
            ObjectNode call = array.addObject();
            call.put("id", c.id());
            call.put("type", "function");
            ObjectNode function = call.putObject("function");
            function.put("name", c.name());
            function.put("arguments", c.arguments());
        }
        return array;
    }

    /**
     * A reply's calls into its record: {@code tool_calls}, and {@code partial_tool_call} for a call the token limit
     * cut off (its arguments are not whole JSON, so no tool can run it; the record shows what was started).
     */
    static void put(ObjectNode record, ChatTurn turn) {
        if (!turn.toolCalls().isEmpty()) {
            record.set("tool_calls", toJson(turn.toolCalls()));
        }
        if (turn.partialToolCall() != null) {
            record.set("partial_tool_call", toJson(List.of(turn.partialToolCall())).get(0));
        }
    }

    /** The calls of an assistant message in a batch line; arguments may be JSON text or an object. */
    static List<ToolCall> fromJson(JsonNode array) {
        if (!array.isArray()) {
            throw new IllegalArgumentException("\"tool_calls\" must be an array of {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}");
        }
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode c : array) {
            JsonNode f = c.path("function");
            if (!f.path("name").isTextual()) {
                throw new IllegalArgumentException("a tool call has no \"function\": {\"name\": ...}");
            }
            JsonNode args = f.path("arguments");
            String arguments = args.isTextual() ? args.asText() : args.isMissingNode() || args.isNull() ? "{}" : args.toString();
            calls.add(new ToolCall(f.get("name").asText(), arguments, c.path("id").asText("call_" + calls.size())));
        }
        return calls;
    }

    /** get_weather({"city":"Paris"}) */
    static String display(ToolCall call) {
        return call.name() + "(" + call.arguments() + ")";
    }
}
