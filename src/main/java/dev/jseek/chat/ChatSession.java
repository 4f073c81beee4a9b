package dev.jseek.chat;

import dev.jseek.Context;
import dev.jseek.Generator;
import dev.jseek.JseekException;
import dev.jseek.Model;
import dev.jseek.Sampler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A conversation with a model: applies the chat template, streams each reply split into reasoning and answer,
 * and keeps the KV cache between turns so that a turn decodes only what changed since the last one.
 * The history holds answers only: reasoning is never sent back to the model (DeepSeek's guidance), so the
 * previous reply is re-decoded without it, and everything before it comes from the cache.
 * Each reply is a {@link Turn}, decoded by the {@link DecodeLoop} on the caller's thread (one sequence): the same turn
 * and loop a {@link ChatEngine} request runs on. One thread at a time; {@link #cancel()} from any thread.
 */
public final class ChatSession implements AutoCloseable {
    private final Model model;
    private final ChatContext chat;
    private final Context context;
    /** Decodes the turns, one sequence; also records what the KV cache holds. */
    private final DecodeLoop loop;
    private ChatOptions options;
    private final List<ChatMessage> history = new ArrayList<>();

    public ChatSession(Model model, ChatOptions options) {
        this.model = model;
        this.options = options;
        this.chat = new ChatContext(model, options.template(), options.context());
        this.context = chat.context;
        this.loop = chat.loop;
        try {
            checkGrammar(options);
        } catch (RuntimeException e) {
            chat.close();
            throw e;
        }
    }

    /**
     * Changes the reply settings (sampling, max tokens, thinking, budget, stop strings, grammar) between turns.
     * The context and the template belong to the session and cannot change.
     */
    public void reconfigure(ChatOptions newOptions) {
        if (!newOptions.context().equals(options.context())) {
            throw new IllegalArgumentException("the context settings of a session cannot change; start a new session");
        }
        if (newOptions.template() != null && newOptions.template() != chat.template) {
            throw new IllegalArgumentException("the chat template of a session cannot change; start a new session");
        }
        checkGrammar(newOptions);
        options = newOptions;
    }

    /** A grammar that does not parse is refused when it is set, not at the next message. */
    private void checkGrammar(ChatOptions o) {
        if (o.grammar() != null) {
            new Sampler(model.vocab(), o.sampling(), o.grammar()).close();
        }
    }

    /** Drops the last reply and generates a new one for the same user message. */
    public ChatTurn regenerate(ChatListener listener) {
        int lastUser = -1;
        for (int i = history.size() - 1; i >= 0 && lastUser < 0; i--) {
            if (history.get(i).role() == ChatMessage.Role.USER) {
                lastUser = i;
            }
        }
        if (lastUser < 0) {
            throw new IllegalStateException("there is no message to answer again yet");
        }
        String message = history.get(lastUser).content();
        List<ChatMessage> before = new ArrayList<>(history.subList(0, lastUser));
        List<ChatMessage> saved = new ArrayList<>(history);
        history.clear();
        history.addAll(before);
        try {
            ChatTurn turn = send(message, listener);
            if (turn.stop() == Generator.StopReason.CANCELLED) {
                history.clear();
                history.addAll(saved);
            }
            return turn;
        } catch (RuntimeException e) {
            history.clear();
            history.addAll(saved);
            throw e;
        }
    }

    public ChatTemplate template() {
        return chat.template;
    }

    public ChatOptions options() {
        return options;
    }

    /** The conversation so far: system prompt, user messages and answers (no reasoning). */
    public List<ChatMessage> history() {
        return List.copyOf(history);
    }

    /** Sets (or, with null/blank, removes) the system prompt; takes effect with the next message. */
    public void setSystemPrompt(String text) {
        history.removeIf(m -> m.role() == ChatMessage.Role.SYSTEM);
        if (text != null && !text.isBlank()) {
            history.addFirst(ChatMessage.system(text));
        }
    }

    /** Replaces the conversation (e.g. from a saved transcript); the KV cache is reused where it still matches. */
    public void restoreHistory(List<ChatMessage> messages) {
        history.clear();
        history.addAll(messages);
    }

    /**
     * Saves the conversation and its KV cache, so that {@link #load} in a later process continues exactly where
     * this one stands (the next greedy reply is the same as if it had never been saved).
     */
    public void save(Path file) {
        if (history.stream().anyMatch(m -> !m.toolCalls().isEmpty() || !m.toolCallId().isEmpty())) {
            // format 2 stores role and text only: saving would silently drop the calls and their ids
            throw new JseekException("This conversation has tool calls, which session files cannot hold yet; " + file
                    + " was not written. Save it before using tools, or keep the transcript as JSON (run --json / batch).");
        }
        new SessionFile(model.path().getFileName().toString(), modelSize(), history(), loop.held(0), context.saveSequence(0)).write(file);
    }

    /** Loads a conversation saved by {@link #save} with the same model file; the current one is replaced. */
    public void load(Path file) {
        SessionFile saved = SessionFile.read(file);
        if (!saved.modelName().equals(model.path().getFileName().toString()) || saved.modelSize() != modelSize()) {
            throw new JseekException(file + " was saved with model " + saved.modelName() + " (" + saved.modelSize()
                    + " bytes); load it in a session of that model.");
        }
        if (saved.tokens().length > context.contextSize()) {
            throw new JseekException(file + " holds " + saved.tokens().length + " tokens but this context holds "
                    + context.contextSize() + "; use a context of at least that size.");
        }
        loop.hold(0, new int[0]); // loadSequence empties the sequence first, and leaves it empty if it fails
        try {
            context.loadSequence(0, saved.kvState());
        } catch (JseekException e) {
            throw new JseekException(file + ": " + e.getMessage(), e);
        }
        if (context.lastPosition(0) + 1 != saved.tokens().length) {
            context.removeTokens(0, 0, -1);
            throw new JseekException(file + " is inconsistent: its KV-cache state holds " + (context.lastPosition(0) + 1)
                    + " tokens but it lists " + saved.tokens().length + "; it cannot be loaded.");
        }
        loop.hold(0, saved.tokens());
        restoreHistory(saved.history());
    }

    private long modelSize() {
        try {
            return Files.size(model.path());
        } catch (IOException e) {
            return -1;
        }
    }

    /** Forgets the turns (the system prompt stays). */
    public void reset() {
        history.removeIf(m -> m.role() != ChatMessage.Role.SYSTEM);
    }

    /** Stops the reply being generated (or the next one, if none is) soon; safe from any thread. */
    public void cancel() {
        context.cancel();
    }

    /** The context size in tokens. */
    public int contextSize() {
        return context.contextSize();
    }

    /**
     * Sends a user message and generates the reply. A cancelled reply is not added to the history (the user
     * message is dropped too, so the conversation stays as it was); what was decoded stays in the KV cache and is
     * reused if the same message is sent again.
     *
     * @throws JseekException when the conversation does not fit the context and the overflow policy is FAIL
     */
    public ChatTurn send(String userText, ChatListener listener) {
        return send(ChatMessage.user(userText), listener);
    }

    /**
     * Sends a user message or a tool's result ({@link ChatMessage#tool}) and generates the reply; otherwise as
     * {@link #send(String, ChatListener)}.
     */
    public ChatTurn send(ChatMessage message, ChatListener listener) {
        if (message.role() != ChatMessage.Role.USER && message.role() != ChatMessage.Role.TOOL) {
            throw new IllegalArgumentException("send a user message or a tool result, not a " + message.role().wireName() + " message");
        }
        long start = System.nanoTime();
        List<ChatMessage> messages = new ArrayList<>(history);
        messages.add(message);
        ChatTurn turn;
        try (Turn t = chat.turn(messages, options.reply(), listener, start)) {
            turn = run(t);
        }
        if (turn.stop() != Generator.StopReason.CANCELLED) {
            messages.add(ChatMessage.assistant(turn.answer(), turn.toolCalls()));
            history.clear();
            history.addAll(messages);
        }
        return turn;
    }

    /**
     * Steps the loop until the turn ends. The record of the KV cache stays true on every path: the kept prefix, then
     * the whole turn, and after a failure the kept prefix again (what the failed turn decoded is removed).
     */
    private ChatTurn run(Turn t) {
        Generator.StopReason[] stop = {null};
        Throwable[] failure = {null};
        DecodeLoop.Ends ends = (sequence, turn, reason, e) -> {
            stop[0] = reason;
            failure[0] = e;
        };
        int kept = loop.start(0, t);
        try {
            while (stop[0] == null && failure[0] == null) {
                loop.step(ends);
            }
            if (failure[0] == null) {
                return t.finish(stop[0]);
            }
        } catch (RuntimeException | Error e) {
            failure[0] = e;
        } finally {
            context.resetCancel();
        }
        loop.release(0);
        forgetTurn(kept, failure[0]);
        if (failure[0] instanceof Error e) {
            throw e;
        }
        throw (RuntimeException) failure[0]; // the loop passes on only what a step can throw
    }

    /** After a failed turn: removes what it left in the KV cache, so the record of the cache stays true. */
    private void forgetTurn(int kept, Throwable failure) {
        try {
            loop.cut(0, kept);
        } catch (RuntimeException e) {
            // the context is closed or busy: nothing can be reused next time
            loop.hold(0, new int[0]);
            failure.addSuppressed(e);
        }
    }

    /**
     * The prompt the next {@link #send} of this message would decode, as text: for a Jinja template exactly what
     * llama-server's /apply-template returns for the same conversation (plus the reasoning close jseek adds for an
     * R1-style template with thinking off).
     */
    public String renderPrompt(ChatMessage message) {
        return preview(message).text();
    }

    /**
     * The prompt a send of this message would decode: its text (as {@link #renderPrompt}) and its token count,
     * from one rendering.
     */
    public PromptPreview preview(ChatMessage message) {
        List<ChatMessage> messages = new ArrayList<>(history);
        messages.add(message);
        ChatPrompt.Built built = chat.prompts.build(messages, options.reply());
        String text = built.rendered() != null ? built.rendered().prompt() : model.vocab().detokenize(built.tokens(), true);
        return new PromptPreview(text, built.tokens().length);
    }

    /** A prompt as text, and how many tokens it is. */
    public record PromptPreview(String text, int tokens) {
    }

    /** What the template can do (thinking switch, reasoning efforts, tool calls). */
    public TemplateFeatures templateFeatures() {
        return chat.prompts.features();
    }

    @Override
    public void close() {
        chat.close();
    }
}
