package dev.jseek.cli;

import dev.jseek.Grammar;
import dev.jseek.InvalidRequestException;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ReplyOptions;
import dev.jseek.wire.OpenAiChat;
import dev.jseek.wire.OpenAiReply;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One line of {@code jseek batch} to answer: its id, its conversation (ending with a user message or a tool result)
 * and its reply's settings (the flags', changed by the line's fields). A line is an OpenAI chat request (read by
 * {@link OpenAiChat}, with the server's strictness and sentences) plus jseek's own fields: id, prompt, think,
 * grammar and json_schema.
 */
record BatchLine(String id, List<ChatMessage> messages, ReplyOptions reply) {
    /** A line's fields: a chat request's (streaming aside: a batch writes whole records) and jseek's own. */
    private static final Set<String> FIELDS = fields();

    private static Set<String> fields() {
        Set<String> all = new java.util.HashSet<>(OpenAiReply.FIELDS);
        all.addAll(List.of("id", "prompt", "messages", "think", "grammar", "json_schema"));
        return Set.copyOf(all);
    }

    /**
     * Reads a line: {@code defaults} are the flags' sampling and {@code lineDefaults} their reply settings, which the
     * line's fields override; {@code system} (--system) is the system prompt of a line that brings none.
     *
     * @throws InvalidRequestException one sentence naming what is wrong with the line
     */
    static BatchLine parse(JsonNode node, SamplerParams defaults, ReplyOptions lineDefaults, String system) {
        if (node == null || !node.isObject()) {
            throw new InvalidRequestException("The line is not a JSON object; give one object per line, e.g. {\"id\": \"a\", \"prompt\": \"Hi\"}.");
        }
        if (!node.path("id").isTextual() && !node.path("id").isNumber() || node.path("id").asText().isBlank()) {
            throw new InvalidRequestException("The line has no \"id\"; give each line a string id.");
        }
        String id = node.get("id").asText();
        checkFields(node);
        List<ChatMessage> messages;
        if (node.has("prompt") && node.has("messages")) {
            throw new InvalidRequestException("The line has both \"prompt\" and \"messages\"; give one.");
        } else if (node.has("prompt")) {
            if (!node.get("prompt").isTextual()) {
                throw new InvalidRequestException("prompt must be a string, not " + node.get("prompt") + ".");
            }
            messages = new ArrayList<>(List.of(ChatMessage.user(node.get("prompt").asText())));
        } else if (node.has("messages")) {
            messages = new ArrayList<>(OpenAiChat.messages(node.get("messages")));
        } else {
            throw new InvalidRequestException("The line has no \"prompt\" or \"messages\"; give the question as one of them.");
        }
        if (system != null && !system.isBlank() && messages.stream().noneMatch(m -> m.role() == ChatMessage.Role.SYSTEM)) {
            messages.addFirst(ChatMessage.system(system));
        }
        ReplyOptions o = OpenAiReply.apply(node, lineDefaults.withSampling(defaults));
        if (node.has("think")) {
            JsonNode t = node.get("think");
            if (!t.isBoolean()) {
                throw new InvalidRequestException("think must be true or false, not " + t + ".");
            }
            o = o.withThinking(t.asBoolean());
        }
        return new BatchLine(id, messages, o.withGrammar(grammar(node, o.grammar())));
    }

    private static void checkFields(JsonNode node) {
        for (var names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                throw new InvalidRequestException("Unrecognized request argument supplied: " + name + ".");
            }
        }
    }

    /** grammar (GBNF text) or json_schema (an object), jseek's own fields beside response_format; at most one of the three. */
    private static Grammar grammar(JsonNode node, Grammar otherwise) {
        int given = (node.has("grammar") ? 1 : 0) + (node.has("json_schema") ? 1 : 0) + (node.hasNonNull("response_format") ? 1 : 0);
        if (given > 1) {
            throw new InvalidRequestException("grammar, json_schema and response_format each constrain the answer; give one.");
        }
        if (node.has("grammar")) {
            if (!node.get("grammar").isTextual()) {
                throw new InvalidRequestException("grammar must be GBNF text, not " + node.get("grammar") + ".");
            }
            return Grammar.of(node.get("grammar").asText());
        }
        if (node.has("json_schema")) {
            if (!node.get("json_schema").isObject()) {
                throw new InvalidRequestException("json_schema must be a JSON Schema object, not " + node.get("json_schema") + ".");
            }
            return OpenAiReply.schemaGrammar(node.get("json_schema"), "json_schema");
        }
        return otherwise;
    }
}
