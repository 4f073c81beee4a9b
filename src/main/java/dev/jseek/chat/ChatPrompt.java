package dev.jseek.chat;

import dev.jseek.Vocab;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns messages into the tokens of a prompt: BOS if the model wants it, the template's text (whose markers
 * become control tokens), the messages' content (always plain text, so it can never forge a marker), and the
 * reasoning prefill of R1-style templates.
 */
final class ChatPrompt {
    private static final String THINK_PREFILL = "<think>\n";
    private static final String NO_THINK_PREFILL = "<think>\n\n</think>\n\n";

    private final Vocab vocab;
    private final ChatTemplate template;

    ChatPrompt(Vocab vocab, ChatTemplate template) {
        this.vocab = vocab;
        this.template = template;
    }

    /** Whether the reply starts inside an open reasoning block (the model then only writes {@code </think>}). */
    boolean opensThinking(boolean thinking) {
        return template.prefillsThinking() && thinking;
    }

    int[] tokens(List<ChatMessage> messages, boolean thinking) {
        List<int[]> parts = new ArrayList<>();
        if (vocab.addsBos()) {
            parts.add(new int[] {vocab.bos()});
        }
        for (ChatTemplate.Segment s : template.apply(messages, true)) {
            parts.add(vocab.tokenize(s.text(), false, !s.content()));
        }
        if (template.prefillsThinking()) {
            parts.add(vocab.tokenize(thinking ? THINK_PREFILL : NO_THINK_PREFILL, false, true));
        }
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
