package dev.jseek.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The tools a model may call: OpenAI-style function schemas ({@code [{"type": "function", "function": {"name",
 * "description", "parameters"}}]}), and whether it must, may or must not call one.
 *
 * @param tools    the JSON array, checked
 * @param choice   auto, none or required
 * @param parallel whether one reply may call several tools (llama-server's {@code parallel_tool_calls}); null =
 *                 the template's default, as llama-server decides it
 */
public record ChatTools(ArrayNode tools, Choice choice, Boolean parallel) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Choice {
        /** The model decides. */
        AUTO,
        /** The model answers in text only (the tools are still described to it). */
        NONE,
        /** The answer is a tool call: a grammar makes it one. */
        REQUIRED;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Choice of(String name) {
            for (Choice c : values()) {
                if (c.wireName().equals(name)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("unknown tool choice '" + name + "'; use auto, none or required");
        }
    }

    public ChatTools {
        tools = tools.deepCopy();
        check(tools, "the tools");
    }

    public ChatTools(ArrayNode tools, Choice choice) {
        this(tools, choice, null);
    }

    /**
     * Parses and checks a tools list.
     *
     * @param source names the text in errors, e.g. "tools.json"
     * @throws IllegalArgumentException one sentence naming the source and what is wrong
     */
    public static ChatTools parse(String json, String source, Choice choice) {
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + " is not valid JSON (" + e.getOriginalMessage() + " at line "
                    + e.getLocation().getLineNr() + "); give an array of OpenAI-style function tools.");
        }
        if (node == null || !node.isArray()) {
            throw new IllegalArgumentException(source + " is not a JSON array; give an array of OpenAI-style function tools, e.g. "
                    + "[{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {\"type\": \"object\"}}}].");
        }
        check((ArrayNode) node, source);
        return new ChatTools((ArrayNode) node, choice);
    }

    private static void check(ArrayNode tools, String source) {
        if (tools.isEmpty()) {
            throw new IllegalArgumentException(source + " is an empty list; give at least one tool.");
        }
        for (int i = 0; i < tools.size(); i++) {
            JsonNode t = tools.get(i);
            String where = source + " entry " + (i + 1);
            if (!t.path("type").asText().equals("function") || !t.path("function").isObject()) {
                throw new IllegalArgumentException(where + " is not {\"type\": \"function\", \"function\": {...}}.");
            }
            JsonNode f = t.get("function");
            if (!f.path("name").isTextual() || f.get("name").asText().isBlank()) {
                throw new IllegalArgumentException(where + " has no function name.");
            }
            JsonNode p = f.get("parameters");
            if (p != null && !p.isNull() && (!p.isObject() || (p.has("type") && !p.get("type").asText().equals("object")))) {
                throw new IllegalArgumentException(where + " (" + f.get("name").asText() + "): parameters must be a JSON Schema of type object.");
            }
        }
    }

    /** The function names, in order. */
    public List<String> names() {
        List<String> names = new ArrayList<>();
        tools.forEach(t -> names.add(t.get("function").get("name").asText()));
        return names;
    }

    /** A copy with another choice. */
    public ChatTools withChoice(Choice c) {
        return new ChatTools(tools, c, parallel);
    }

    /** A copy that allows several calls per reply, or one (null: the template's default). */
    public ChatTools withParallel(Boolean p) {
        return new ChatTools(tools, choice, p);
    }
}
