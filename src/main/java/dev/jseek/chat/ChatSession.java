package dev.jseek.chat;

import dev.jseek.Context;
import dev.jseek.Generator;
import dev.jseek.JseekException;
import dev.jseek.Model;
import dev.jseek.Sampler;
import dev.jseek.Vocab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A conversation with a model: applies the chat template, streams each reply split into reasoning and answer,
 * and keeps the KV cache between turns so that a turn decodes only what changed since the last one.
 * The history holds answers only: reasoning is never sent back to the model (DeepSeek's guidance), so the
 * previous reply is re-decoded without it, and everything before it comes from the cache.
 * One thread at a time; {@link #cancel()} from any thread.
 */
public final class ChatSession implements AutoCloseable {
    private final Model model;
    private final Vocab vocab;
    private final ChatTemplate template;
    /** Whether the session made the template (the model's own) and so closes it. */
    private final boolean ownsTemplate;
    private final ChatPrompt promptBuilder;
    private final Context context;
    /** Samples reasoning, and answers too when there is no grammar. */
    private Sampler freeSampler;
    /** Samples answers: the free sampler, or one with the grammar. */
    private Sampler answerSampler;
    /** Samples answers under a required tool call's grammar (made at the first turn that needs it). */
    private Sampler toolSampler;
    private dev.jseek.Grammar toolSamplerGrammar;
    private final Generator generator;
    private ChatOptions options;
    private final List<ChatMessage> history = new ArrayList<>();
    /** The tokens the KV cache holds for sequence 0, in order. */
    private int[] cached = new int[0];

    public ChatSession(Model model, ChatOptions options) {
        this.model = model;
        this.vocab = model.vocab();
        this.options = options;
        this.ownsTemplate = options.template() == null;
        this.template = ownsTemplate ? ChatTemplate.of(model) : options.template();
        Context made = null;
        try {
            this.promptBuilder = new ChatPrompt(vocab, template);
            made = model.newContext(options.context());
            createSamplers(options);
            this.generator = new Generator(made, 0);
        } catch (RuntimeException e) {
            if (freeSampler != null) {
                closeSamplers();
            }
            if (made != null) {
                made.close();
            }
            if (ownsTemplate) {
                template.close();
            }
            throw e;
        }
        this.context = made;
    }

    private void createSamplers(ChatOptions o) {
        Sampler free = new Sampler(vocab, o.sampling());
        try {
            answerSampler = o.grammar() == null ? free : new Sampler(vocab, o.sampling(), o.grammar());
        } catch (RuntimeException e) {
            free.close();
            throw e;
        }
        freeSampler = free;
    }

    private void closeSamplers() {
        if (answerSampler != freeSampler) {
            answerSampler.close();
        }
        freeSampler.close();
        closeToolSampler();
    }

    private void closeToolSampler() {
        if (toolSampler != null) {
            toolSampler.close();
            toolSampler = null;
            toolSamplerGrammar = null;
        }
    }

    /** The sampler for this turn's answer: under the required call's grammar when there is one. */
    private Sampler answerSamplerFor(ChatPrompt.Built built) {
        dev.jseek.Grammar g = ReplyStream.answerGrammar(options, built);
        if (g == null || g.equals(options.grammar())) {
            return answerSampler;
        }
        if (!g.equals(toolSamplerGrammar)) {
            closeToolSampler();
            toolSampler = new Sampler(vocab, options.sampling(), g);
            toolSamplerGrammar = g;
        }
        return toolSampler;
    }

    /**
     * Changes the reply settings (sampling, max tokens, thinking, budget, stop strings, grammar) between turns.
     * The context and the template belong to the session and cannot change.
     */
    public void reconfigure(ChatOptions newOptions) {
        if (!newOptions.context().equals(options.context())) {
            throw new IllegalArgumentException("the context settings of a session cannot change; start a new session");
        }
        if (newOptions.template() != null && newOptions.template() != template) {
            throw new IllegalArgumentException("the chat template of a session cannot change; start a new session");
        }
        Sampler oldFree = freeSampler;
        Sampler oldAnswer = answerSampler;
        createSamplers(newOptions);
        if (oldAnswer != oldFree) {
            oldAnswer.close();
        }
        oldFree.close();
        closeToolSampler(); // its sampling settings are the old ones
        options = newOptions;
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
        return template;
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
        new SessionFile(model.path().getFileName().toString(), modelSize(), history(), cached, context.saveSequence(0)).write(file);
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
        generator.discardUndecodedToken();
        cached = new int[0]; // loadSequence empties the sequence first, and leaves it empty if it fails
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
        cached = saved.tokens();
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
        ChatPrompt.Built built = promptBuilder.fit(messages, options, context.contextSize(), listener);
        int[] prompt = built.tokens();

        int reuse = commonPrefix(cached, prompt);
        if (reuse == prompt.length) {
            reuse--; // decode at least one token, so there are fresh logits to sample from
        }
        // From here the record says exactly what the KV cache holds, on every path: the kept prefix now, the
        // whole turn after success, and the kept prefix again after any failure (its partial tokens are removed).
        generator.discardUndecodedToken();
        context.removeTokens(0, reuse, -1);
        cached = Arrays.copyOf(prompt, reuse);
        Sampler answers = answerSamplerFor(built);
        freeSampler.reset();
        answers.reset();
        TurnResult done;
        try {
            done = generate(prompt, reuse, listener, built, answers);
        } catch (RuntimeException | Error e) {
            forgetTurn(reuse, e);
            throw e;
        }
        int[] sequence = done.sequence;
        ReplyStream turn = done.turn;
        cached = Arrays.copyOf(sequence, Math.min(sequence.length, context.lastPosition(0) + 1));
        ReplyStream.Outcome outcome = turn.finish(done.last.stopReason());
        if (outcome.stop() != Generator.StopReason.CANCELLED) {
            messages.add(ChatMessage.assistant(outcome.answer(), outcome.calls()));
            history.clear();
            history.addAll(messages);
        }
        context.resetCancel();
        long end = System.nanoTime();
        ChatTurn.Stats stats = new ChatTurn.Stats(prompt.length, prompt.length - reuse, options.maxTokens() - done.left,
                turn.reasoningTokens, done.promptNanos, turn.firstTokenAt == 0 ? 0 : turn.firstTokenAt - start,
                turn.reasoningNanos(end), done.generationNanos);
        return new ChatTurn(outcome.reasoning(), outcome.answer(), outcome.calls(), outcome.stop(), stats);
    }

    private record TurnResult(int[] sequence, ReplyStream turn, Generator.Result last, int left, long promptNanos,
                              long generationNanos) {
    }

    /** Decodes the new part of the prompt and generates the reply: reasoning, then the answer. */
    private TurnResult generate(int[] prompt, int reuse, ChatListener listener, ChatPrompt.Built built, Sampler answerSampler) {
        // With a grammar, reasoning is sampled freely and the answer under the grammar: the sampler is switched
        // when </think> appears (or is forced), instead of feeding the grammar tokens it never chose.
        boolean mayReason = built.opensThinking();
        Sampler current = mayReason ? freeSampler : answerSampler;
        ReplyStream turn = new ReplyStream(options, built, listener, current != answerSampler);
        int[] sequence = prompt;
        int[] feed = Arrays.copyOfRange(prompt, reuse, prompt.length);
        int left = options.maxTokens();
        long promptNanos = -1;
        long generationNanos = 0;
        Generator.Result result;
        while (true) {
            result = generator.generate(feed, current, left, (token, text) -> {
                turn.onToken(token, text);
                if (turn.stopRequested()) {
                    generator.requestStop();
                }
            });
            promptNanos = promptNanos < 0 ? result.stats().promptNanos() : promptNanos;
            generationNanos += result.stats().generationNanos();
            sequence = concat(sequence, result.tokens());
            left -= result.tokens().length;
            if (result.stopReason() != Generator.StopReason.STOPPED || turn.stops.stopped() || left <= 0) {
                break;
            }
            // the generator decodes the token it streamed but did not decode yet, then the forced close if any
            feed = turn.resume(current, answerSampler, vocab.tokenize(ReplyStream.FORCED_CLOSE, false, true));
            sequence = concat(sequence, feed);
            current = answerSampler;
        }
        return new TurnResult(sequence, turn, result, left, promptNanos, generationNanos);
    }

    /** After a failed turn: removes what it left in the KV cache, so the record of the cache stays true. */
    private void forgetTurn(int kept, Throwable failure) {
        generator.discardUndecodedToken();
        try {
            context.removeTokens(0, kept, -1);
        } catch (RuntimeException e) {
            // the context is closed or busy: nothing can be reused next time
            cached = new int[0];
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
        ChatPrompt.Built built = promptBuilder.build(messages, options);
        String text = built.rendered() != null ? built.rendered().prompt() : vocab.detokenize(built.tokens(), true);
        return new PromptPreview(text, built.tokens().length);
    }

    /** A prompt as text, and how many tokens it is. */
    public record PromptPreview(String text, int tokens) {
    }

    /** What the template can do (thinking switch, reasoning efforts, tool calls). */
    public TemplateFeatures templateFeatures() {
        return promptBuilder.features();
    }

    private static int commonPrefix(int[] a, int[] b) {
        int n = Math.min(a.length, b.length);
        int i = 0;
        while (i < n && a[i] == b[i]) {
            i++;
        }
        return i;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Override
    public void close() {
        generator.close();
        closeSamplers();
        context.close();
        if (ownsTemplate) {
            template.close();
        }
    }
}
