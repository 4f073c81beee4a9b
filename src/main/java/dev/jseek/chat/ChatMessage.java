package dev.jseek.chat;

import java.util.List;
import java.util.Objects;

/**
 * One message of a conversation. Assistant messages hold the answer only, never the reasoning, and the tool
 * calls the model made; a tool message holds a tool's result for the call with {@code toolCallId}.
 *
 * @param toolCalls  the calls an assistant message made (empty otherwise)
 * @param toolCallId the call a tool message answers (empty otherwise)
 */
public record ChatMessage(Role role, String content, List<ToolCall> toolCalls, String toolCallId) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        toolCalls = List.copyOf(toolCalls);
        Objects.requireNonNull(toolCallId, "toolCallId");
        if (!toolCalls.isEmpty() && role != Role.ASSISTANT) {
            throw new IllegalArgumentException("only an assistant message can make tool calls, not a " + role.wireName() + " message");
        }
    }

    public ChatMessage(Role role, String content) {
        this(role, content, List.of(), "");
    }

    public enum Role {
        SYSTEM("system"), USER("user"), ASSISTANT("assistant"), TOOL("tool");

        private final String wireName;

        Role(String wireName) {
            this.wireName = wireName;
        }

        /** The role name chat templates expect. */
        public String wireName() {
            return wireName;
        }

        /** The role with this wire name, e.g. "user". */
        public static Role of(String wireName) {
            for (Role r : values()) {
                if (r.wireName.equals(wireName)) {
                    return r;
                }
            }
            throw new IllegalArgumentException("unknown role '" + wireName + "'; use system, user, assistant or tool");
        }
    }

    public static ChatMessage system(String content) {
        return new ChatMessage(Role.SYSTEM, content);
    }

    public static ChatMessage user(String content) {
        return new ChatMessage(Role.USER, content);
    }

    public static ChatMessage assistant(String content) {
        return new ChatMessage(Role.ASSISTANT, content);
    }

    /** An assistant turn that called tools (content is what it said besides, often empty). */
    public static ChatMessage assistant(String content, List<ToolCall> calls) {
        return new ChatMessage(Role.ASSISTANT, content, calls, "");
    }

    /** A tool's result for the call with this id. */
    public static ChatMessage tool(String toolCallId, String content) {
        return new ChatMessage(Role.TOOL, content, List.of(), toolCallId);
    }
}
