package dev.jseek.cli;

import dev.jseek.Grammar;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatTools;
import dev.jseek.chat.ReplyOptions;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * One line of {@code jseek batch} to answer: its id, its conversation (ending with a user message or a tool result)
 * and its reply's settings (the flags', changed by the line's fields).
 */
record BatchLine(String id, List<ChatMessage> messages, ReplyOptions reply) {

    /**
     * Reads a line: {@code defaults} are the flags' sampling and {@code lineDefaults} their reply settings, which the
     * line's fields override; {@code system} (--system) is the system prompt of a line that brings none.
     *
     * @throws IllegalArgumentException naming what is wrong with the line
     */
    static BatchLine parse(JsonNode node, SamplerParams defaults, ReplyOptions lineDefaults, String system) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        String id = node.hasNonNull("id") ? node.get("id").asText() : null;
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("no \"id\"");
        }
        List<ChatMessage> messages = new ArrayList<>();
        if (node.has("prompt")) {
            messages.add(ChatMessage.user(node.get("prompt").asText()));
        } else if (node.has("messages") && node.get("messages").isArray()) {
            for (JsonNode m : node.get("messages")) {
                messages.add(message(m));
            }
        } else {
            throw new IllegalArgumentException("no \"prompt\" or \"messages\"");
        }
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("\"messages\" is empty");
        }
        ChatMessage.Role last = messages.getLast().role();
        if (last != ChatMessage.Role.USER && last != ChatMessage.Role.TOOL) {
            throw new IllegalArgumentException("the last message must be a user message or a tool result, not " + last.wireName());
        }
        if (system != null && !system.isBlank() && messages.stream().noneMatch(m -> m.role() == ChatMessage.Role.SYSTEM)) {
            messages.addFirst(ChatMessage.system(system));
        }
        SamplerParams p = defaults;
        if (node.has("temperature")) p = p.withTemperature((float) node.get("temperature").asDouble());
        if (node.has("top_p")) p = p.withTopP((float) node.get("top_p").asDouble());
        if (node.has("top_k")) p = p.withTopK(node.get("top_k").asInt());
        if (node.has("min_p")) p = p.withMinP((float) node.get("min_p").asDouble());
        if (node.has("seed")) p = p.withSeed(node.get("seed").asLong());
        ReplyOptions o = lineDefaults.withSampling(p);
        if (node.has("max_tokens")) {
            int max = node.get("max_tokens").asInt();
            if (max < 1) {
                throw new IllegalArgumentException("\"max_tokens\" must be at least 1, not " + max);
            }
            o = o.withMaxTokens(max);
        }
        if (node.has("think")) {
            JsonNode t = node.get("think");
            if (!t.isBoolean()) {
                throw new IllegalArgumentException("\"think\" must be true or false");
            }
            o = o.withThinking(t.asBoolean());
        }
        if (node.has("reasoning_effort")) {
            o = o.withReasoningEffort(node.get("reasoning_effort").asText());
        }
        if (node.has("stop")) {
            o = o.withStopStrings(stops(node.get("stop")));
        }
        if (node.has("grammar") && node.has("json_schema")) {
            throw new IllegalArgumentException("\"grammar\" and \"json_schema\" both constrain the answer; give one");
        }
        if (node.has("grammar")) {
            o = o.withGrammar(Grammar.of(node.get("grammar").asText()));
        }
        if (node.has("json_schema")) {
            if (!node.get("json_schema").isObject()) {
                throw new IllegalArgumentException("\"json_schema\" must be a JSON Schema object");
            }
            o = o.withGrammar(ChatFlags.schemaGrammar(node.get("json_schema").toString(), "\"json_schema\""));
        }
        ChatTools.Choice choice = node.has("tool_choice") ? ChatTools.Choice.of(node.get("tool_choice").asText())
                : lineDefaults.tools() != null ? lineDefaults.tools().choice() : ChatTools.Choice.AUTO;
        if (node.has("tools")) {
            Boolean parallel = null; // the template's default
            if (node.has("parallel_tool_calls")) {
                parallel = node.get("parallel_tool_calls").asBoolean();
            } else if (lineDefaults.tools() != null) {
                parallel = lineDefaults.tools().parallel();
            }
            o = o.withTools(ChatFlags.tools(node.get("tools").toString(), "\"tools\"", choice).withParallel(parallel));
        } else if (node.has("tool_choice")) {
            if (lineDefaults.tools() == null) {
                throw new IllegalArgumentException("\"tool_choice\" needs \"tools\" (or --tools)");
            }
            o = o.withTools(lineDefaults.tools().withChoice(choice));
        }
        return new BatchLine(id, messages, o);
    }

    /** A message of a line: system, user, assistant (maybe with tool_calls) or tool (with tool_call_id). */
    private static ChatMessage message(JsonNode m) {
        ChatMessage.Role role = ChatMessage.Role.of(m.path("role").asText(""));
        String content = m.path("content").isNull() ? "" : m.path("content").asText("");
        return switch (role) {
            case TOOL -> {
                if (!m.path("tool_call_id").isTextual()) {
                    throw new IllegalArgumentException("a tool message needs the \"tool_call_id\" of the call it answers");
                }
                yield ChatMessage.tool(m.get("tool_call_id").asText(), content);
            }
            case ASSISTANT -> m.has("tool_calls") ? ChatMessage.assistant(content, ToolCalls.fromJson(m.get("tool_calls")))
                    : ChatMessage.assistant(content);
            default -> new ChatMessage(role, content);
        };
    }

    private static List<String> stops(JsonNode stop) {
        List<String> stops = new ArrayList<>();
        if (stop.isTextual()) {
            stops.add(stop.asText());
        } else if (stop.isArray()) {
            stop.forEach(s -> stops.add(s.asText()));
        } else {
            throw new IllegalArgumentException("\"stop\" must be a string or an array of strings");
        }
        return stops;
    }
}
