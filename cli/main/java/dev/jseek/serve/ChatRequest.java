package dev.jseek.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.jseek.Grammar;
import dev.jseek.InvalidRequestException;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatTools;
import dev.jseek.chat.ToolCall;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A {@code POST /v1/chat/completions} body, checked field by field before any slot is taken: every mistake is a
 * 400 that names the field, and a field this server does not know is one too (a typo must not be ignored silently).
 *
 * @param messages the conversation; the last one is a user message or a tool result
 */
record ChatRequest(List<ChatMessage> messages, boolean stream, boolean includeUsage, Float temperature, Float topP,
                   Integer topK, Float minP, Long seed, Float frequencyPenalty, Float presencePenalty, Integer maxTokens, List<String> stop,
                   Boolean thinking, String reasoningEffort, ChatTools tools, JsonNode responseFormat) {

    /**
     * Fields read (top_k and min_p as llama-server reads them); and fields clients send that change nothing here
     * (accepted so that SDK defaults work).
     */
    private static final Set<String> KNOWN = Set.of("model", "messages", "stream", "stream_options", "temperature", "top_p",
            "seed", "frequency_penalty", "presence_penalty", "top_k", "min_p", "max_tokens", "max_completion_tokens", "stop", "tools",
            "tool_choice", "response_format", "chat_template_kwargs", "thinking", "reasoning_effort", "n",
            "user", "store", "metadata", "parallel_tool_calls", "logprobs", "service_tier");
    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "name", "tool_calls", "tool_call_id",
            "reasoning_content", "refusal");

    static ChatRequest parse(JsonNode body) {
        if (!body.isObject()) {
            throw ApiError.badRequest("invalid_json", "The request body must be a JSON object, not " + body.getNodeType().toString().toLowerCase() + ".");
        }
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!KNOWN.contains(name)) {
                throw ApiError.badRequest("unknown_parameter", "Unrecognized request argument supplied: " + name + ".");
            }
        }
        if (body.has("n") && !body.get("n").isNull() && body.get("n").asInt(-1) != 1) {
            throw ApiError.invalidValue("n must be 1: this server generates one choice per request.");
        }
        if (body.path("logprobs").asBoolean(false)) {
            throw ApiError.invalidValue("logprobs are not supported by this server; leave logprobs out or false.");
        }
        List<ChatMessage> messages = messages(body.get("messages"));
        Integer maxTokens = integer(body, "max_completion_tokens");
        if (maxTokens == null) {
            maxTokens = integer(body, "max_tokens");
        }
        if (maxTokens != null && maxTokens < 1) {
            throw ApiError.invalidValue("max_tokens must be at least 1, not " + maxTokens + ".");
        }
        Long seed = null;
        if (body.hasNonNull("seed")) {
            if (!body.get("seed").isIntegralNumber() || !body.get("seed").canConvertToLong()) {
                throw ApiError.invalidValue("seed must be an integer, not " + body.get("seed") + ".");
            }
            seed = body.get("seed").asLong(); // its range is the sampler's to check
        }
        return new ChatRequest(messages, bool(body, "stream", false), body.path("stream_options").path("include_usage").asBoolean(false),
                number(body, "temperature"), number(body, "top_p"), integer(body, "top_k"), number(body, "min_p"), seed, number(body, "frequency_penalty"),
                number(body, "presence_penalty"), maxTokens, stop(body.get("stop")), thinking(body), reasoningEffort(body),
                tools(body.get("tools"), body.get("tool_choice"), body.get("parallel_tool_calls")), responseFormat(body.get("response_format")));
    }

    /** The slot's settings with this request's changes; an impossible combination is a 400. */
    ChatOptions options(ChatOptions base) {
        try {
            SamplerParams s = base.sampling();
            if (temperature != null) {
                s = s.withTemperature(temperature);
            }
            if (topP != null) {
                s = s.withTopP(topP);
            }
            if (topK != null) {
                s = s.withTopK(topK);
            }
            if (minP != null) {
                s = s.withMinP(minP);
            }
            if (seed != null) {
                s = s.withSeed(seed);
            }
            if (frequencyPenalty != null) {
                s = s.withFrequencyPenalty(frequencyPenalty);
            }
            if (presencePenalty != null) {
                s = s.withPresencePenalty(presencePenalty);
            }
            ChatOptions o = base.withSampling(s).withStopStrings(stop).withTools(tools).withGrammar(grammar());
            if (maxTokens != null) {
                o = o.withMaxTokens(maxTokens);
            }
            if (thinking != null) {
                o = o.withThinking(thinking);
            }
            if (reasoningEffort != null) {
                o = o.withReasoningEffort(reasoningEffort);
            }
            return o;
        } catch (IllegalArgumentException | InvalidRequestException e) {
            throw ApiError.invalidValue(e.getMessage() + ".");
        }
    }

    private Grammar grammar() {
        if (responseFormat == null) {
            return null;
        }
        String type = responseFormat.path("type").asText();
        return switch (type) {
            case "text" -> null;
            case "json_object" -> Grammar.json();
            case "json_schema" -> {
                JsonNode schema = responseFormat.path("json_schema").get("schema");
                if (schema == null || !schema.isObject()) {
                    throw ApiError.invalidValue("response_format.json_schema.schema must be a JSON Schema object.");
                }
                try {
                    // the bridge answers {"grammar": GBNF}
                    yield Grammar.fromJsonSchema(schema.toString());
                } catch (InvalidRequestException e) {
                    throw ApiError.invalidValue("response_format.json_schema.schema cannot be used: " + e.getMessage());
                }
            }
            default -> throw ApiError.invalidValue("response_format.type must be text, json_object or json_schema, not '" + type + "'.");
        };
    }

    private static List<ChatMessage> messages(JsonNode node) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw ApiError.badRequest("missing_required_parameter", "messages must be a non-empty array of {role, content} objects.");
        }
        List<ChatMessage> result = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            result.add(message(node.get(i), "messages[" + i + "]"));
        }
        ChatMessage.Role lastRole = result.getLast().role();
        if (lastRole != ChatMessage.Role.USER && lastRole != ChatMessage.Role.TOOL) {
            throw ApiError.invalidValue("The last message must be a user message or a tool result, not " + lastRole.wireName()
                    + "; this server does not continue a prefilled assistant message.");
        }
        return result;
    }

    private static ChatMessage message(JsonNode m, String where) {
        if (!m.isObject()) {
            throw ApiError.invalidValue(where + " must be an object with role and content.");
        }
        for (Iterator<String> names = m.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!MESSAGE_FIELDS.contains(name)) {
                throw ApiError.badRequest("unknown_parameter", "Unrecognized argument in " + where + ": " + name + ".");
            }
        }
        String roleName = m.path("role").asText();
        ChatMessage.Role role;
        try {
            role = ChatMessage.Role.of(roleName.equals("developer") ? "system" : roleName);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalidValue(where + ".role: " + e.getMessage() + ".");
        }
        String content = content(m.get("content"), where);
        // reasoning_content of earlier replies is dropped: DeepSeek's guidance is never to send reasoning back
        return switch (role) {
            case ASSISTANT -> ChatMessage.assistant(content, toolCalls(m.get("tool_calls"), where));
            case TOOL -> {
                if (!m.path("tool_call_id").isTextual()) {
                    throw ApiError.invalidValue(where + " is a tool result without tool_call_id; give the id of the call it answers.");
                }
                yield ChatMessage.tool(m.get("tool_call_id").asText(), content);
            }
            default -> {
                if (m.hasNonNull("tool_calls")) {
                    throw ApiError.invalidValue(where + ": only assistant messages carry tool_calls.");
                }
                yield new ChatMessage(role, content);
            }
        };
    }

    /** A string, null (an assistant turn that only called tools), or an array of text parts. */
    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                    throw ApiError.invalidValue(where + ".content: only text parts ({\"type\": \"text\", \"text\": ...}) are supported.");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw ApiError.invalidValue(where + ".content must be a string or an array of text parts.");
    }

    private static List<ToolCall> toolCalls(JsonNode calls, String where) {
        if (calls == null || calls.isNull()) {
            return List.of();
        }
        if (!calls.isArray()) {
            throw ApiError.invalidValue(where + ".tool_calls must be an array.");
        }
        List<ToolCall> result = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            JsonNode call = calls.get(i);
            JsonNode f = call.path("function");
            if (!f.path("name").isTextual()) {
                throw ApiError.invalidValue(where + ".tool_calls[" + i + "] has no function.name.");
            }
            JsonNode args = f.get("arguments");
            String arguments = args == null || args.isNull() ? "{}" : args.isTextual() ? args.asText() : args.toString();
            try {
                // the templates render the arguments as JSON: text that is not JSON cannot go back to the model
                if (!Json.MAPPER.readTree(arguments).isObject()) {
                    throw ApiError.invalidValue(where + ".tool_calls[" + i + "].function.arguments must be a JSON object.");
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw ApiError.invalidValue(where + ".tool_calls[" + i + "].function.arguments is not valid JSON: " + e.getOriginalMessage() + ".");
            }
            result.add(new ToolCall(f.get("name").asText(), arguments, call.path("id").asText("")));
        }
        return result;
    }

    private static ChatTools tools(JsonNode tools, JsonNode choice, JsonNode parallel) {
        if (tools == null || tools.isNull()) {
            if (choice != null && !choice.isNull() && !choice.asText().equals("none") && !choice.asText().equals("auto")) {
                throw ApiError.invalidValue("tool_choice is set but no tools are given.");
            }
            return null;
        }
        if (!tools.isArray()) {
            throw ApiError.invalidValue("tools must be an array of {\"type\": \"function\", \"function\": {...}}.");
        }
        ChatTools.Choice c = ChatTools.Choice.AUTO;
        ArrayNode list = (ArrayNode) tools;
        if (choice != null && !choice.isNull()) {
            if (choice.isTextual()) {
                try {
                    c = ChatTools.Choice.of(choice.asText());
                } catch (IllegalArgumentException e) {
                    throw ApiError.invalidValue("tool_choice: " + e.getMessage() + ".");
                }
            } else {
                // {"type": "function", "function": {"name": X}}: the call is required, and only X is offered
                String name = choice.path("function").path("name").asText("");
                ArrayNode only = Json.MAPPER.createArrayNode();
                list.forEach(t -> {
                    if (t.path("function").path("name").asText().equals(name)) {
                        only.add(t);
                    }
                });
                if (only.isEmpty()) {
                    throw ApiError.invalidValue("tool_choice names the function '" + name + "', which is not among the tools.");
                }
                list = only;
                c = ChatTools.Choice.REQUIRED;
            }
        }
        if (parallel != null && !parallel.isNull() && !parallel.isBoolean()) {
            throw ApiError.invalidValue("parallel_tool_calls must be true or false.");
        }
        try {
            // absent: the template's default, as llama-server decides it
            return ChatTools.parse(list.toString(), "tools", c).withParallel(parallel == null || parallel.isNull() ? null : parallel.asBoolean());
        } catch (IllegalArgumentException e) {
            throw ApiError.invalidValue(e.getMessage());
        }
    }

    private static JsonNode responseFormat(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject() || !node.path("type").isTextual()) {
            throw ApiError.invalidValue("response_format must be an object with a type: text, json_object or json_schema.");
        }
        return node;
    }

    /** llama-server's chat_template_kwargs.enable_thinking (or .thinking), or DeepSeek's thinking: {type: enabled|disabled}. */
    private static Boolean thinking(JsonNode body) {
        JsonNode kwargs = body.get("chat_template_kwargs");
        if (kwargs != null && !kwargs.isNull()) {
            if (!kwargs.isObject()) {
                throw ApiError.invalidValue("chat_template_kwargs must be an object.");
            }
            for (String key : List.of("enable_thinking", "thinking")) {
                if (kwargs.has(key)) {
                    if (!kwargs.get(key).isBoolean()) {
                        throw ApiError.invalidValue("chat_template_kwargs." + key + " must be true or false.");
                    }
                    return kwargs.get(key).asBoolean();
                }
            }
        }
        JsonNode t = body.get("thinking");
        if (t == null || t.isNull()) {
            return null;
        }
        if (t.isBoolean()) {
            return t.asBoolean();
        }
        String type = t.path("type").asText();
        return switch (type) {
            case "enabled" -> true;
            case "disabled" -> false;
            default -> throw ApiError.invalidValue("thinking must be {\"type\": \"enabled\"} or {\"type\": \"disabled\"}, not " + t + ".");
        };
    }

    private static String reasoningEffort(JsonNode body) {
        JsonNode e = body.get("reasoning_effort");
        if (e == null || e.isNull()) {
            return null;
        }
        if (!e.isTextual() || e.asText().isBlank()) {
            throw ApiError.invalidValue("reasoning_effort must be a level name such as high or max.");
        }
        return e.asText();
    }

    private static List<String> stop(JsonNode node) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (node.isTextual()) {
            return List.of(node.asText());
        }
        if (node.isArray()) {
            List<String> stops = new ArrayList<>();
            for (JsonNode s : node) {
                if (!s.isTextual()) {
                    throw ApiError.invalidValue("stop must be a string or an array of strings.");
                }
                stops.add(s.asText());
            }
            return stops;
        }
        throw ApiError.invalidValue("stop must be a string or an array of strings.");
    }

    private static boolean bool(JsonNode body, String name, boolean otherwise) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return otherwise;
        }
        if (!n.isBoolean()) {
            throw ApiError.invalidValue(name + " must be true or false.");
        }
        return n.asBoolean();
    }

    private static Float number(JsonNode body, String name) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isNumber()) {
            throw ApiError.invalidValue(name + " must be a number, not " + n + ".");
        }
        return (float) n.asDouble();
    }

    private static Integer integer(JsonNode body, String name) {
        JsonNode n = body.get(name);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw ApiError.invalidValue(name + " must be an integer, not " + n + ".");
        }
        return n.asInt();
    }
}
