package dev.jseek.chat;

import java.util.Objects;

/** One message of a conversation. Assistant messages hold the answer only, never the reasoning. */
public record ChatMessage(Role role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
    }

    public enum Role {
        SYSTEM("system"), USER("user"), ASSISTANT("assistant");

        private final String wireName;

        Role(String wireName) {
            this.wireName = wireName;
        }

        /** The role name chat templates expect. */
        public String wireName() {
            return wireName;
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
}
