package dev.jseek.wire;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.jseek.Grammar;
import dev.jseek.InvalidRequestException;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatTools;
import dev.jseek.chat.ReplyOptions;

import java.util.List;
import java.util.Set;

import static dev.jseek.wire.InvalidFieldException.invalid;

/**
 * The reply fields of an OpenAI chat request, into {@link ReplyOptions}: sampling (temperature, top_p, top_k and min_p
 * as llama-server reads them, penalties, seed), max_tokens, stop, response_format, tools and tool_choice, thinking
 * and reasoning_effort. A field that is absent leaves the base's setting; a wrong one is an {@link InvalidFieldException}.
 */
public final class OpenAiReply {
    /**
     * Fields read, and fields clients send that change nothing here (accepted so that SDK defaults work).
     */
    public static final Set<String> FIELDS = Set.of("model", "temperature", "top_p", "seed", "frequency_penalty",
            "presence_penalty", "top_k", "min_p", "max_tokens", "max_completion_tokens", "stop", "tools", "tool_choice",
            "response_format", "chat_template_kwargs", "thinking", "reasoning_effort", "n", "user", "store", "metadata",
            "parallel_tool_calls", "logprobs", "service_tier");

    private OpenAiReply() {
    }

    /** {@code base} with the request's changes. */
    public static ReplyOptions apply(JsonNode body, ReplyOptions base) {
        JsonNode n = body.get("n");
        if (n != null && !n.isNull() && n.asInt(-1) != 1) {
            throw invalid("n must be 1: jseek generates one choice per request.");
        }
        if (body.path("logprobs").asBoolean(false)) {
            throw invalid("logprobs are not supported; leave logprobs out or false.");
        }
        Integer maxTokens = Fields.integer(body, "max_completion_tokens");
        if (maxTokens == null) {
            maxTokens = Fields.integer(body, "max_tokens");
        }
        if (maxTokens != null && maxTokens < 1) {
            throw invalid("max_tokens must be at least 1, not " + maxTokens + ".");
        }
        ReplyOptions o = base.withSampling(sampling(body, base.sampling()));
        if (maxTokens != null) {
            o = o.withMaxTokens(maxTokens);
        }
        List<String> stop = Fields.strings(body, "stop");
        if (stop != null) {
            o = o.withStopStrings(stop);
        }
        if (Fields.given(body, "tools") || Fields.given(body, "tool_choice") || Fields.given(body, "parallel_tool_calls")) {
            o = o.withTools(tools(body, base.tools()));
        }
        if (Fields.given(body, "response_format")) {
            o = o.withGrammar(grammar(body.get("response_format")));
        }
        Boolean thinking = thinking(body);
        if (thinking != null) {
            o = o.withThinking(thinking);
        }
        String effort = Fields.text(body, "reasoning_effort", "a level name such as high or max");
        if (effort != null) {
            o = o.withReasoningEffort(effort);
        }
        return o;
    }

    /** The sampling fields over {@code s}; a value the sampler refuses (top_p 7) is a sentence naming it. */
    static SamplerParams sampling(JsonNode body, SamplerParams s) {
        Float temperature = Fields.number(body, "temperature");
        Float topP = Fields.number(body, "top_p");
        Integer topK = Fields.integer(body, "top_k");
        Float minP = Fields.number(body, "min_p");
        Long seed = Fields.longInteger(body, "seed"); // its range is the sampler's to check
        Float frequency = Fields.number(body, "frequency_penalty");
        Float presence = Fields.number(body, "presence_penalty");
        try {
            s = temperature == null ? s : s.withTemperature(temperature);
            s = topP == null ? s : s.withTopP(topP);
            s = topK == null ? s : s.withTopK(topK);
            s = minP == null ? s : s.withMinP(minP);
            s = seed == null ? s : s.withSeed(seed);
            s = frequency == null ? s : s.withFrequencyPenalty(frequency);
            return presence == null ? s : s.withPresencePenalty(presence);
        } catch (IllegalArgumentException | InvalidRequestException e) {
            throw invalid(e.getMessage().endsWith(".") ? e.getMessage() : e.getMessage() + ".");
        }
    }

    /**
     * tools, tool_choice and parallel_tool_calls over {@code base} (a batch's --tools; none in the server). A named
     * function ({"type": "function", "function": {"name": X}}) makes the call required and offers only X.
     */
    private static ChatTools tools(JsonNode body, ChatTools base) {
        JsonNode choice = body.get("tool_choice");
        Boolean parallel = Fields.bool(body, "parallel_tool_calls");
        ChatTools tools = base;
        if (Fields.given(body, "tools")) {
            try {
                tools = ChatTools.parse(body.get("tools").toString(), "tools", base == null ? ChatTools.Choice.AUTO : base.choice())
                        .withParallel(base == null ? null : base.parallel());
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
        }
        boolean noCall = choice == null || choice.isNull() || choice.asText().equals("none") || choice.asText().equals("auto");
        if (tools == null) {
            if (!noCall) {
                throw invalid("tool_choice is set but no tools are given.");
            }
            return null;
        }
        if (choice != null && !choice.isNull()) {
            tools = choice.isTextual() ? withChoice(tools, choice.asText()) : named(tools, choice);
        }
        return parallel == null ? tools : tools.withParallel(parallel);
    }

    private static ChatTools withChoice(ChatTools tools, String name) {
        try {
            return tools.withChoice(ChatTools.Choice.of(name));
        } catch (IllegalArgumentException e) {
            throw invalid("tool_choice: " + e.getMessage() + ".");
        }
    }

    private static ChatTools named(ChatTools tools, JsonNode choice) {
        String name = choice.path("function").path("name").asText("");
        ArrayNode only = JsonNodeFactory.instance.arrayNode();
        tools.tools().forEach(t -> {
            if (t.path("function").path("name").asText().equals(name)) {
                only.add(t);
            }
        });
        if (only.isEmpty()) {
            throw invalid("tool_choice names the function '" + name + "', which is not among the tools.");
        }
        return new ChatTools(only, ChatTools.Choice.REQUIRED, tools.parallel());
    }

    /** text: none; json_object: any JSON object; json_schema: that schema, through llama.cpp's converter. */
    private static Grammar grammar(JsonNode format) {
        if (!format.isObject() || !format.path("type").isTextual()) {
            throw invalid("response_format must be an object with a type: text, json_object or json_schema.");
        }
        String type = format.get("type").asText();
        return switch (type) {
            case "text" -> null;
            case "json_object" -> Grammar.json();
            case "json_schema" -> {
                JsonNode schema = format.path("json_schema").get("schema");
                if (schema == null || !schema.isObject()) {
                    throw invalid("response_format.json_schema.schema must be a JSON Schema object.");
                }
                yield schemaGrammar(schema, "response_format.json_schema.schema");
            }
            default -> throw invalid("response_format.type must be text, json_object or json_schema, not '" + type + "'.");
        };
    }

    /** A JSON Schema's grammar; a schema the converter rejects is a sentence naming {@code field}. */
    public static Grammar schemaGrammar(JsonNode schema, String field) {
        try {
            return Grammar.fromJsonSchema(schema.toString());
        } catch (InvalidRequestException e) {
            throw invalid(field + " cannot be used: " + e.getMessage());
        }
    }

    /** llama-server's chat_template_kwargs.enable_thinking (or .thinking), or DeepSeek's thinking: {type: enabled|disabled}. */
    private static Boolean thinking(JsonNode body) {
        JsonNode kwargs = body.get("chat_template_kwargs");
        if (kwargs != null && !kwargs.isNull()) {
            if (!kwargs.isObject()) {
                throw invalid("chat_template_kwargs must be an object.");
            }
            for (String key : List.of("enable_thinking", "thinking")) {
                if (kwargs.has(key)) {
                    if (!kwargs.get(key).isBoolean()) {
                        throw invalid("chat_template_kwargs." + key + " must be true or false.");
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
        return switch (t.path("type").asText()) {
            case "enabled" -> true;
            case "disabled" -> false;
            default -> throw invalid("thinking must be {\"type\": \"enabled\"} or {\"type\": \"disabled\"}, not " + t + ".");
        };
    }
}
