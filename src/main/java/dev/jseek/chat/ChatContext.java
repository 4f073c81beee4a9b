package dev.jseek.chat;

import dev.jseek.Context;
import dev.jseek.ContextParams;
import dev.jseek.Model;

import java.util.List;

/**
 * What a {@link ChatSession} and a {@link ChatEngine} both stand on: the template (made from the model when none is
 * given, and then closed here), the prompt builder, the context and its {@link DecodeLoop}; and the one way a
 * conversation becomes a {@link Turn}. Closes what it made, once.
 */
final class ChatContext implements AutoCloseable {
    final ChatTemplate template;
    private final boolean ownsTemplate;
    final ChatPrompt prompts;
    final Context context;
    final DecodeLoop loop;

    /** @param template the chat template; null = the model's own */
    ChatContext(Model model, ChatTemplate template, ContextParams params) {
        this.ownsTemplate = template == null;
        this.template = ownsTemplate ? ChatTemplate.of(model) : template;
        Context made = null;
        try {
            this.prompts = new ChatPrompt(model.vocab(), this.template);
            made = model.newContext(params);
            this.loop = new DecodeLoop(made);
        } catch (RuntimeException e) {
            if (made != null) {
                made.close();
            }
            if (ownsTemplate) {
                this.template.close();
            }
            throw e;
        }
        this.context = made;
    }

    /**
     * The turn that answers {@code messages}: its prompt fits a sequence (or old turns are dropped from
     * {@code messages}, as the options say), and its samplers are made, so a turn that cannot run fails here, on the caller's thread.
     *
     * @param requestedAt when the reply was asked for ({@link System#nanoTime})
     * @throws ChatInputException when the prompt does not fit, or the template cannot render it as asked
     */
    Turn turn(List<ChatMessage> messages, ReplyOptions options, ChatListener listener, long requestedAt) {
        // no lock: renders through one template handle run at once (JinjaTemplatesConcurrencyTest)
        ChatPrompt.Built built = prompts.fit(messages, options, loop.room(), loop.sequences() > 1, listener);
        return new Turn(context.model().vocab(), built, options, listener, requestedAt);
    }

    @Override
    public void close() {
        loop.close();
        context.close();
        if (ownsTemplate) {
            template.close();
        }
    }
}
