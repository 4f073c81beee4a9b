package dev.jseek.serve;

import dev.jseek.Model;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;

import java.util.List;

/**
 * One of the server's {@code --parallel} conversations: a {@link ChatSession} with a context of its own on the
 * shared model. Used by one request at a time (the {@link SlotPool} sees to that); it remembers the conversation it
 * last held, so that a request continuing it lands here and decodes only what is new.
 */
final class Slot implements AutoCloseable {
    final int index;
    final ChatSession session;
    /** The template this slot made from --chat-template-file (closed with the slot), or null for the model's own. */
    private final ChatTemplate template;
    final ChatOptions base;
    /** The conversation the KV cache holds, as of the last finished turn. */
    volatile List<ChatMessage> history = List.of();
    /** Whether a turn is being generated: shutdown cancels only these (a cancel also stops the next turn). */
    volatile boolean busy;
    /** Tokens the slot's KV cache held after its last turn (prompt and reply): what /metrics shows as KV use. */
    volatile int kvTokens;
    /** When the slot was last released, for least-recently-used choice among equals. */
    long releasedAt;

    Slot(int index, Model model, ChatOptions base, String templateSource, String templateName) {
        this.index = index;
        // A Jinja template holds native state; one per slot keeps rendering single-threaded like the session
        this.template = templateSource == null ? null : ChatTemplate.jinja(model, templateSource, templateName);
        ChatOptions options = template == null ? base : base.withTemplate(template);
        try {
            this.session = new ChatSession(model, options);
        } catch (RuntimeException e) {
            if (template != null) {
                template.close();
            }
            throw e;
        }
        this.base = options;
    }

    /** A request's settings on this slot: with the slot's template, if it has one of its own. */
    ChatOptions adopt(ChatOptions options) {
        return template == null ? options : options.withTemplate(template);
    }

    /** How many leading messages of {@code messages} this slot's cache already holds. */
    int sharedPrefix(List<ChatMessage> messages) {
        List<ChatMessage> held = history;
        int n = 0;
        while (n < held.size() && n < messages.size() && held.get(n).equals(messages.get(n))) {
            n++;
        }
        return n;
    }

    @Override
    public void close() {
        session.close();
        if (template != null) {
            template.close();
        }
    }
}
