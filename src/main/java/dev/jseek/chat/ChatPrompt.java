package dev.jseek.chat;

import dev.jseek.Vocab;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns messages into the tokens of a prompt: BOS if the model wants it, the template's text (whose markers
 * become control tokens), the messages' content (always plain text, so it can never forge a marker), and the
 * reasoning prefill of R1-style templates.
 */
final class ChatPrompt {
    private static final String THINK_PREFILL = ReasoningParser.OPEN + "\n";
    /** R1's open block, closed at once when thinking is off. */
    private static final String NO_THINK_PREFILL = ReasoningParser.OPEN + "\n" + ReasoningParser.FORCED_CLOSE;

    private final Vocab vocab;
    private final ChatTemplate template;
    /** Asked of llama.cpp at first use: it renders probe conversations, which a session may never need. */
    private volatile TemplateFeatures features;

    ChatPrompt(Vocab vocab, ChatTemplate template) {
        this.vocab = vocab;
        this.template = template;
    }

    /**
     * A prompt's tokens.
     *
     * @param rendered      llama.cpp's rendering (Jinja templates); null for a built-in template
     * @param opensThinking the reply starts inside an open reasoning block (the model then only writes {@code </think>})
     */
    record Built(int[] tokens, JinjaPrompt.Rendered rendered, boolean opensThinking) {
    }

    TemplateFeatures features() {
        if (features == null) {
            features = template.features();
        }
        return features;
    }

    Built build(List<ChatMessage> messages, ReplyOptions options) {
        if (!template.isJinja()) {
            if (options.tools() != null || options.reasoningEffort() != null) {
                throw new ChatInputException(ChatInputException.Kind.TEMPLATE_REFUSED, template + " is a built-in template: tools and reasoning effort need the model's "
                        + "Jinja template (leave --template out, or give a .jinja file).");
            }
            return new Built(builtinTokens(messages, options.thinking()), null, template.prefillsThinking() && options.thinking());
        }
        JinjaPrompt.Rendered r = JinjaPrompt.render(template.jinja(), this::features, messages, options);
        List<int[]> parts = new ArrayList<>();
        bos(parts);
        if (r.segments() != null) {
            for (ChatTemplate.Segment s : r.segments()) {
                parts.add(vocab.tokenize(s.text(), false, !s.content()));
            }
        } else {
            requirePlainContent(messages);
            parts.add(vocab.tokenize(r.prompt(), false, true));
        }
        return new Built(concat(parts), r, r.opensThinking());
    }

    /**
     * The prompt's tokens when it fits {@code room} tokens with one to spare for the reply; else drops old turns
     * from {@code messages} (telling the listener) or fails, as the options say. {@code parallel}: the room is one
     * sequence of a context shared by several.
     */
    Built fit(List<ChatMessage> messages, ReplyOptions options, int room, boolean parallel, ChatListener listener) {
        Built prompt = build(messages, options);
        while (prompt.tokens().length + 1 > room) {
            if (options.overflow() == ChatOptions.Overflow.FAIL || !dropOldestTurn(messages)) {
                throw new ChatInputException(ChatInputException.Kind.CONTEXT_OVERFLOW, "The conversation needs "
                        + prompt.tokens().length + " tokens but " + (parallel ? "a parallel slot" : "the context") + " holds "
                        + room + "; shorten it, use a larger context" + (parallel ? " or fewer parallel sequences" : "")
                        + ", or let old turns be dropped.");
            }
            listener.onNotice("Dropped the oldest turn to make room: the conversation no longer fits " + room + " tokens.");
            prompt = build(messages, options);
        }
        return prompt;
    }

    /** Removes the oldest user message and the answer after it; never the system prompt or the new message. */
    private static boolean dropOldestTurn(List<ChatMessage> messages) {
        for (int i = 0; i < messages.size() - 1; i++) {
            if (messages.get(i).role() == ChatMessage.Role.USER) {
                messages.remove(i);
                if (i < messages.size() - 1 && messages.get(i).role() == ChatMessage.Role.ASSISTANT) {
                    messages.remove(i);
                }
                return true;
            }
        }
        return false;
    }

    /**
     * When the template transformed the content (so its place in the prompt is unknown), the prompt is tokenized
     * whole; that is only safe if no content holds a control token's text.
     */
    private void requirePlainContent(List<ChatMessage> messages) {
        for (ChatMessage m : messages) {
            if (!Arrays.equals(vocab.tokenize(m.content(), false, true), vocab.tokenize(m.content(), false, false))) {
                throw new ChatInputException(ChatInputException.Kind.TEMPLATE_REFUSED, template + " rewrites message text, and a " + m.role().wireName()
                        + " message contains a control token's text; jseek will not let content become control tokens. "
                        + "Remove the marker from the message or use a template that keeps content as it is.");
            }
        }
    }

    private int[] builtinTokens(List<ChatMessage> messages, boolean thinking) {
        List<int[]> parts = new ArrayList<>();
        bos(parts);
        for (ChatTemplate.Segment s : template.apply(messages, true)) {
            parts.add(vocab.tokenize(s.text(), false, !s.content()));
        }
        if (template.prefillsThinking()) {
            parts.add(vocab.tokenize(thinking ? THINK_PREFILL : NO_THINK_PREFILL, false, true));
        }
        return concat(parts);
    }

    private void bos(List<int[]> parts) {
        if (vocab.addsBos()) {
            parts.add(new int[] {vocab.bos()});
        }
    }

    private static int[] concat(List<int[]> parts) {
        int length = parts.stream().mapToInt(p -> p.length).sum();
        int[] all = new int[length];
        int at = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, all, at, p.length);
            at += p.length;
        }
        return all;
    }
}
