package dev.jseek.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ReplyOptions;
import dev.jseek.chat.ToolCall;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.jseek.wire.InvalidFieldException.invalid;

/**
 * An OpenAI chat completions request ({@code POST /v1/chat/completions}, and each line of {@code jseek batch}): the
 * messages with their tool calls and tool results, and the reply's settings ({@link OpenAiReply}). Every mistake is an
 * {@link InvalidFieldException} naming the field, before any work is queued.
 */
public final class OpenAiChat {
    /** The request's fields: the conversation, streaming, and every reply field {@link OpenAiReply} reads. */
    public static final Set<String> FIELDS = union(OpenAiReply.FIELDS, Set.of("messages", "stream", "stream_options"));
    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "name", "tool_calls", "tool_call_id",
            "reasoning_content", "refusal");
    private static final ObjectMapper JSON = new ObjectMapper();

    private OpenAiChat() {
    }

    /**
     * A request as the server reads it.
     *
     * @param messages the conversation; the last one is a user message or a tool result
     */
    public record Request(List<ChatMessage> messages, boolean stream, boolean includeUsage, ReplyOptions reply) {
    }

    /** Reads a whole request; {@code base} is the reply's settings that the request's fields change. */
    public static Request read(JsonNode body, ReplyOptions base) {
        Fields.object(body, "The request body");
        Fields.known(body, FIELDS, null);
        List<ChatMessage> messages = messages(body.get("messages"));
        JsonNode options = body.get("stream_options");
        if (options != null && !options.isNull() && !options.isObject()) {
            throw invalid("stream_options must be an object such as {\"include_usage\": true}.");
        }
        boolean includeUsage = options != null && options.isObject() && Fields.bool(options, "include_usage", false);
        return new Request(messages, Fields.bool(body, "stream", false), includeUsage, OpenAiReply.apply(body, base));
    }

    /** {@code messages}: a non-empty array whose last message is a user message or a tool result. */
    public static List<ChatMessage> messages(JsonNode node) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw new InvalidFieldException(InvalidFieldException.Code.MISSING_REQUIRED_PARAMETER,
                    "messages must be a non-empty array of {role, content} objects.");
        }
        List<ChatMessage> result = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            result.add(message(node.get(i), "messages[" + i + "]"));
        }
        ChatMessage.Role last = result.getLast().role();
        if (last != ChatMessage.Role.USER && last != ChatMessage.Role.TOOL) {
            throw invalid("The last message must be a user message or a tool result, not " + last.wireName()
                    + "; jseek does not continue a prefilled assistant message.");
        }
        return result;
    }

    private static ChatMessage message(JsonNode m, String where) {
        if (!m.isObject()) {
            throw invalid(where + " must be an object with role and content.");
        }
        Fields.known(m, MESSAGE_FIELDS, where);
        if (!m.path("role").isTextual()) {
            throw invalid(where + ".role must be system, developer, user, assistant or tool.");
        }
        String roleName = m.get("role").asText();
        ChatMessage.Role role;
        try {
            role = ChatMessage.Role.of(roleName.equals("developer") ? "system" : roleName);
        } catch (IllegalArgumentException e) {
            throw invalid(where + ".role: " + e.getMessage() + ".");
        }
        String content = content(m.get("content"), where);
        // reasoning_content of earlier replies is dropped: DeepSeek's guidance is never to send reasoning back
        return switch (role) {
            case ASSISTANT -> ChatMessage.assistant(content, toolCalls(m.get("tool_calls"), where));
            case TOOL -> {
                if (!m.path("tool_call_id").isTextual()) {
                    throw invalid(where + " is a tool result without tool_call_id; give the id of the call it answers.");
                }
                yield ChatMessage.tool(m.get("tool_call_id").asText(), content);
            }
            default -> {
                if (m.hasNonNull("tool_calls")) {
                    throw invalid(where + ": only assistant messages carry tool_calls.");
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
                    throw invalid(where + ".content: only text parts ({\"type\": \"text\", \"text\": ...}) are supported.");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw invalid(where + ".content must be a string or an array of text parts.");
    }

    /**
     * An assistant message's {@code tool_calls}: each {@code {"id", "type": "function", "function": {"name", "arguments"}}}.
     * The arguments may be JSON text (as OpenAI sends them) or an object, and must be a JSON object: the templates
     * render them as JSON. An absent id is empty, as llama-server reads it; ids must be unique within the message.
     */
    private static List<ToolCall> toolCalls(JsonNode calls, String where) {
        if (calls == null || calls.isNull()) {
            return List.of();
        }
        if (!calls.isArray()) {
            throw invalid(where + ".tool_calls must be an array of {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}.");
        }
        List<ToolCall> result = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < calls.size(); i++) {
            String at = where + ".tool_calls[" + i + "]";
            JsonNode call = calls.get(i);
            JsonNode f = call.path("function");
            if (!f.path("name").isTextual() || f.get("name").asText().isBlank()) {
                throw invalid(at + " has no function.name.");
            }
            JsonNode id = call.get("id");
            if (id != null && !id.isNull() && !id.isTextual()) {
                throw invalid(at + ".id must be a string, not " + id + ".");
            }
            String idText = id == null || id.isNull() ? "" : id.asText();
            if (!idText.isEmpty() && !ids.add(idText)) {
                throw invalid(at + ".id " + idText + " is the id of an earlier call in the same message; give each call its own id.");
            }
            result.add(new ToolCall(f.get("name").asText(), arguments(f.get("arguments"), at), idText));
        }
        return result;
    }

    private static String arguments(JsonNode args, String at) {
        if (args == null || args.isNull()) {
            return "{}";
        }
        if (args.isObject()) {
            return args.toString();
        }
        if (!args.isTextual()) {
            throw invalid(at + ".function.arguments must be a JSON object or its text, not " + args.getNodeType().toString().toLowerCase() + ".");
        }
        try {
            // text that is not a JSON object cannot go back to the model through the template
            if (!JSON.readTree(args.asText()).isObject()) {
                throw invalid(at + ".function.arguments must be a JSON object.");
            }
        } catch (JsonProcessingException e) {
            throw invalid(at + ".function.arguments is not valid JSON: " + e.getOriginalMessage() + ".");
        }
        return args.asText();
    }

    static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new HashSet<>(a);
        all.addAll(b);
        return Set.copyOf(all);
    }
}
