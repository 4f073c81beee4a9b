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
    /** Closes a reasoning block whose budget is spent (BatchChat forces the same). */
    static final String FORCED_CLOSE = "\n</think>\n\n";

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
        dev.jseek.Grammar g = built.rendered() == null ? null : built.rendered().toolGrammar();
        if (g == null) {
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
        ChatPrompt.Built built = fitToContext(messages, listener);
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
        TurnState turn = done.turn;
        Generator.Result result = done.last;
        int left = done.left;
        cached = Arrays.copyOf(sequence, Math.min(sequence.length, context.lastPosition(0) + 1));

        // STOPPED means a stop string; a budget or phase stop that left no room to answer is a max-tokens stop.
        Generator.StopReason stop = result.stopReason() == Generator.StopReason.STOPPED && !turn.stops.stopped()
                ? Generator.StopReason.MAX_TOKENS : result.stopReason();
        String reasoning = turn.reasoning.toString();
        String answer = turn.answer.toString();
        List<ToolCall> calls = List.of();
        if (built.rendered() != null && !turn.stops.stopped()) {
            // Tool calls are llama.cpp's own parser's, for the template's format; so is the text beside them. The
            // reasoning/answer split of a reply without calls stays what was streamed (DeepSeek's <think> tags).
            try {
                // A reply cut by the token limit is read as llama-server reads a stream in progress (partial), without
                // the replacement character the generator flushes for a split UTF-8 character: its finished calls count.
                boolean cut = stop != Generator.StopReason.END_OF_GENERATION;
                String raw = cut ? turn.raw.toString().replaceAll("\uFFFD+$", "") : turn.raw.toString();
                JinjaPrompt.Parsed parsed = JinjaPrompt.parse(built.rendered().parserParams(), raw, cut);
                calls = completeCalls(parsed.toolCalls(), listener);
                if (turn.toolParser != null) {
                    answer = parsed.content().stripLeading(); // as streamed: llama.cpp's content, calls left out
                }
            } catch (JseekException e) {
                listener.onNotice("llama.cpp's parser could not read this reply (" + e.getMessage() + "); it is kept as plain text.");
            }
        }
        if (stop != Generator.StopReason.CANCELLED) {
            messages.add(ChatMessage.assistant(answer, calls));
            history.clear();
            history.addAll(messages);
        }
        context.resetCancel();
        long end = System.nanoTime();
        ChatTurn.Stats stats = new ChatTurn.Stats(prompt.length, prompt.length - reuse, options.maxTokens() - left,
                turn.reasoningTokens, done.promptNanos, turn.firstTokenAt == 0 ? 0 : turn.firstTokenAt - start,
                turn.reasoningNanos(end), done.generationNanos);
        return new ChatTurn(reasoning, answer, calls, stop, stats);
    }

    private record TurnResult(int[] sequence, TurnState turn, Generator.Result last, int left, long promptNanos,
                              long generationNanos) {
    }

    /** Decodes the new part of the prompt and generates the reply: reasoning, then the answer. */
    private TurnResult generate(int[] prompt, int reuse, ChatListener listener, ChatPrompt.Built built, Sampler answerSampler) {
        // With a grammar, reasoning is sampled freely and the answer under the grammar: the sampler is switched
        // when </think> appears (or is forced), instead of feeding the grammar tokens it never chose.
        boolean mayReason = built.opensThinking();
        Sampler current = mayReason ? freeSampler : answerSampler;
        List<String> stops = new ArrayList<>(options.stopStrings());
        if (built.rendered() != null) {
            built.rendered().stops().stream().filter(s -> !stops.contains(s)).forEach(stops::add);
        }
        boolean toolsOffered = built.rendered() != null && options.tools() != null && options.tools().choice() != ChatTools.Choice.NONE;
        TurnState turn = new TurnState(listener, current != answerSampler, mayReason, stops,
                toolsOffered ? built.rendered().parserParams() : null);
        int[] sequence = prompt;
        int[] feed = Arrays.copyOfRange(prompt, reuse, prompt.length);
        int left = options.maxTokens();
        long promptNanos = -1;
        long generationNanos = 0;
        Generator.Result result;
        while (true) {
            result = generator.generate(feed, current, left, turn::onToken);
            promptNanos = promptNanos < 0 ? result.stats().promptNanos() : promptNanos;
            generationNanos += result.stats().generationNanos();
            sequence = concat(sequence, result.tokens());
            left -= result.tokens().length;
            if (result.stopReason() != Generator.StopReason.STOPPED || turn.stops.stopped() || left <= 0) {
                break;
            }
            feed = new int[0]; // the generator decodes the token it streamed but did not decode yet
            if (turn.budgetHit && !turn.forcedClose) {
                // Budget spent: close the reasoning block ourselves and let the model answer.
                turn.forcedClose = true;
                turn.parser.forceAnswer();
                int[] closing = vocab.tokenize(FORCED_CLOSE, false, true);
                if (current == answerSampler) {
                    for (int t : closing) {
                        current.accept(t); // the penalties see the forced tokens too
                    }
                }
                feed = closing;
                sequence = concat(sequence, closing);
                turn.raw.append(FORCED_CLOSE);
            }
            current = answerSampler;
            turn.switchOnAnswer = false;
        }
        turn.parser.finish();
        turn.stops.finish();
        return new TurnResult(sequence, turn, result, left, promptNanos, generationNanos);
    }

    /**
     * The calls whose arguments are whole JSON: a reply that ran out of tokens inside a call leaves one with
     * arguments like "{", which no tool can run and the template refuses to render in the next turn.
     */
    private static List<ToolCall> completeCalls(List<ToolCall> calls, ChatListener listener) {
        List<ToolCall> complete = new ArrayList<>();
        for (ToolCall c : calls) {
            try {
                com.fasterxml.jackson.databind.JsonNode args = ARGUMENTS.readTree(c.arguments());
                if (args != null && args.isObject()) {
                    complete.add(c);
                    continue;
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                // incomplete: told below
            }
            listener.onNotice("The reply ended inside a call of " + c.name() + " (its arguments are not whole JSON: "
                    + c.arguments() + "); the call was dropped. Allow more tokens per reply.");
        }
        return complete;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper ARGUMENTS = new com.fasterxml.jackson.databind.ObjectMapper();

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

    /** The prompt's tokens; drops old turns or fails (per the options) while it does not fit. */
    private ChatPrompt.Built fitToContext(List<ChatMessage> messages, ChatListener listener) {
        ChatPrompt.Built prompt = promptBuilder.build(messages, options);
        while (prompt.tokens().length + 1 > context.contextSize()) {
            if (options.overflow() == ChatOptions.Overflow.FAIL || !dropOldestTurn(messages)) {
                throw new ChatInputException(ChatInputException.Kind.CONTEXT_OVERFLOW, "The conversation needs " + prompt.tokens().length + " tokens but the context holds "
                        + context.contextSize() + "; start over, use a larger context, or let old turns be dropped.");
            }
            listener.onNotice("Dropped the oldest turn to make room: the conversation no longer fits " + context.contextSize() + " tokens.");
            prompt = promptBuilder.build(messages, options);
        }
        return prompt;
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


    /** The running state of one reply: parser, budget, timings. */
    private final class TurnState {
        final ChatListener listener;
        /** Stop at the end of reasoning, so the answer can be sampled with the grammar. */
        boolean switchOnAnswer;
        boolean forcedClose;
        final StringBuilder reasoning = new StringBuilder();
        final StringBuilder answer = new StringBuilder();
        /** Everything the model wrote (and jseek forced), for llama.cpp's parser. */
        final StringBuilder raw = new StringBuilder();
        /** llama.cpp's parser params when tools are offered: the answer is then streamed as it parses it. */
        final String toolParser;
        /** The answer text streamed so far (with tools: llama.cpp's content, without the call blocks). */
        final StringBuilder shownAnswer = new StringBuilder();
        final ReasoningParser parser;
        final StopStrings stops;
        int reasoningTokens;
        boolean budgetHit;
        long firstTokenAt;
        long reasoningStart;
        long reasoningEnd;

        TurnState(ChatListener listener, boolean switchOnAnswer, boolean prefilled, List<String> stopStrings, String toolParser) {
            this.listener = listener;
            this.switchOnAnswer = switchOnAnswer;
            this.toolParser = toolParser;
            this.stops = new StopStrings(stopStrings, text -> {
                answer.append(text);
                if (toolParser == null) {
                    listener.onAnswer(text);
                } else {
                    showParsedAnswer();
                }
            });
            this.parser = new ReasoningParser(prefilled, new ReasoningParser.Sink() {
                @Override
                public void reasoning(String text) {
                    reasoning.append(text);
                    listener.onReasoning(text);
                }

                @Override
                public void answer(String text) {
                    stops.push(text);
                }
            });
        }

        void onToken(int token, String text) {
            long now = System.nanoTime();
            if (token >= 0 && firstTokenAt == 0) {
                firstTokenAt = now;
            }
            raw.append(text);
            parser.push(text);
            if (stops.stopped()) {
                generator.requestStop();
            }
            if (parser.phase() == ReasoningParser.Phase.REASONING) {
                if (reasoningStart == 0) {
                    reasoningStart = now;
                }
                if (token >= 0) {
                    reasoningTokens++; // not the flush of a split UTF-8 character (token -1), which is no token
                }
                if (options.reasoningBudget() >= 0 && reasoningTokens >= options.reasoningBudget() && !budgetHit) {
                    budgetHit = true;
                    generator.requestStop();
                }
            } else if (reasoningStart != 0 && reasoningEnd == 0) {
                reasoningEnd = now;
            }
            if (switchOnAnswer && parser.phase() == ReasoningParser.Phase.ANSWER) {
                switchOnAnswer = false;
                generator.requestStop();
            }
        }

        /**
         * With tools offered, the answer is streamed as llama.cpp's parser reads the reply so far (as llama-server
         * streams it): text, but not the markup of a tool call, which the turn then reports as a call.
         */
        void showParsedAnswer() {
            String content;
            try {
                content = JinjaPrompt.parse(toolParser, raw.toString(), true).content().stripLeading();
            } catch (JseekException e) {
                return; // not readable yet; the next token may make it so, and the turn's end decides
            }
            if (content.length() > shownAnswer.length() && content.startsWith(shownAnswer.toString())) {
                String delta = content.substring(shownAnswer.length());
                shownAnswer.append(delta);
                listener.onAnswer(delta);
            }
        }

        long reasoningNanos(long end) {
            return reasoningStart == 0 ? 0 : (reasoningEnd == 0 ? end : reasoningEnd) - reasoningStart;
        }
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
