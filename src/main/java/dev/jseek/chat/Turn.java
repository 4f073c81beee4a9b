package dev.jseek.chat;

import dev.jseek.Context;
import dev.jseek.Generator.StopReason;
import dev.jseek.Grammar;
import dev.jseek.Sampler;
import dev.jseek.Utf8Stream;
import dev.jseek.Vocab;

import java.util.Arrays;
import java.util.List;

/**
 * One reply, from its first sampled token to its {@link ChatTurn}: the only place that knows what a reply is while it
 * is generated. It samples each token (reasoning freely, the answer under the grammar or a tool call's grammar:
 * the sampler pair is made once, here), splits reasoning from answer, counts the reasoning budget and forces
 * {@code </think>} when it is spent, cuts at stop strings, streams the answer as llama.cpp's parser reads it when
 * tools are offered, and at the end reads the tool calls (keeping a call the token limit cut off apart) and the
 * stats, with one formula for every caller.
 *
 * <p>It does not decode: {@link DecodeLoop} feeds its prompt, then after each {@link #sample} the tokens of
 * {@link #next()}, and ends it with the stop reason {@link #sample} gave (or a cancel). A {@link ChatSession} turn and
 * a {@link ChatEngine} request are the same object, driven by the same loop.
 */
final class Turn implements AutoCloseable {
    private final Vocab vocab;
    private final ReplyOptions options;
    private final ChatPrompt.Built built;
    private final ChatListener listener;
    /** Samples reasoning, and the answer too when there is no grammar. */
    private final Sampler free;
    /** Samples the answer: {@link #free}, or one under the options' grammar or the tool call's. */
    private final Sampler answer;
    private Sampler current;
    private final Utf8Stream utf8 = new Utf8Stream();
    private final ReplyText text;
    /** Stop at the end of the reasoning, so that the answer is sampled under its grammar from its first token. */
    private boolean switchOnAnswer;
    private boolean budgetHit;
    private boolean forcedClose;
    private boolean stopRequested;
    private int[] tokens = new int[16];
    private int generated;
    private int reasoningTokens;
    private int[] next;
    private int reused;
    private volatile boolean cancelled;
    private final long requestedAt;
    private long startedAt;
    private long promptDoneAt;
    private long firstTokenAt;
    private long reasoningStart;
    private long reasoningEnd;
    private boolean closed;

    /**
     * @param requestedAt when the caller asked for the reply ({@link System#nanoTime}): the time to the first token
     *                    counts from there
     */
    Turn(Vocab vocab, ChatPrompt.Built built, ReplyOptions options, ChatListener listener, long requestedAt) {
        this.vocab = vocab;
        this.options = options;
        this.built = built;
        this.listener = listener;
        this.requestedAt = requestedAt;
        Grammar grammar = answerGrammar(options, built);
        this.free = new Sampler(vocab, options.sampling());
        try {
            this.answer = grammar == null ? free : new Sampler(vocab, options.sampling(), grammar);
        } catch (RuntimeException e) {
            free.close();
            throw e;
        }
        this.current = built.opensThinking() ? free : answer;
        this.switchOnAnswer = current != answer;
        this.text = new ReplyText(options, built, listener);
    }

    /** The grammar the answer is sampled under: a required or lazy tool call's, else the options' (null: free text). */
    private static Grammar answerGrammar(ReplyOptions options, ChatPrompt.Built built) {
        Grammar tool = built.rendered() == null ? null : built.rendered().toolGrammar();
        return tool != null ? tool : options.grammar();
    }

    int[] prompt() {
        return built.tokens();
    }

    /** The loop gave the turn a sequence whose KV cache already holds the first {@code reused} prompt tokens. */
    void started(int reused) {
        this.reused = reused;
        this.startedAt = System.nanoTime();
    }

    /** Ends the turn at the loop's next step with stop reason CANCELLED; safe from any thread. */
    void cancel() {
        cancelled = true;
    }

    boolean cancelled() {
        return cancelled;
    }

    /**
     * Samples the next token from output {@code index} of the last decode and streams it. Returns why the reply ends,
     * or null when it goes on: the loop then decodes {@link #next()} at {@code position} (the sequence's next free one)
     * and calls this again. Stops for the model's end, a stop string, the token limit, or a sequence of {@code room}
     * tokens that is full.
     */
    StopReason sample(Context context, int index, int position, int room) {
        if (promptDoneAt == 0) {
            promptDoneAt = System.nanoTime();
        }
        int token = current.sample(context, index);
        if (vocab.isEndOfGeneration(token)) {
            return StopReason.END_OF_GENERATION;
        }
        if (generated == tokens.length) {
            tokens = Arrays.copyOf(tokens, generated * 2);
        }
        tokens[generated++] = token;
        onToken(token, utf8.push(vocab.piece(token, true)));
        boolean stop = stopRequested;
        stopRequested = false;
        if (stop && text.stopped()) {
            return StopReason.STOPPED;
        }
        if (generated == options.maxTokens()) {
            return StopReason.MAX_TOKENS;
        }
        if (!stop) {
            next = new int[] {token};
            return position >= room ? StopReason.CONTEXT_FULL : null;
        }
        // the reasoning ended (the answer has a sampler of its own) or its budget is spent (close it ourselves)
        int[] closing = closeReasoning();
        next = new int[closing.length + 1];
        next[0] = token;
        System.arraycopy(closing, 0, next, 1, closing.length);
        current = answer;
        return position + next.length > room ? StopReason.CONTEXT_FULL : null;
    }

    /** What to decode before the next {@link #sample}: the last token, then the forced {@code </think>} if any. */
    int[] next() {
        return next;
    }

    /** Takes a generated token and the text it completed (token -1: the flush of a split UTF-8 character). */
    private void onToken(int token, String piece) {
        long now = System.nanoTime();
        if (token >= 0 && firstTokenAt == 0) {
            firstTokenAt = now;
        }
        text.push(piece);
        if (text.stopped()) {
            stopRequested = true;
        }
        if (text.phase() == ReasoningParser.Phase.REASONING) {
            if (reasoningStart == 0) {
                reasoningStart = now;
            }
            if (token >= 0) {
                reasoningTokens++; // not the flush of a split UTF-8 character, which is no token
            }
            if (options.reasoningBudget() >= 0 && reasoningTokens >= options.reasoningBudget() && !budgetHit) {
                budgetHit = true;
                stopRequested = true;
            }
        } else if (reasoningStart != 0 && reasoningEnd == 0) {
            reasoningEnd = now;
        }
        if (switchOnAnswer && text.phase() == ReasoningParser.Phase.ANSWER) {
            switchOnAnswer = false;
            stopRequested = true;
        }
    }

    /**
     * After a stop that does not end the reply: the reasoning ended and the answer has a sampler of its own (nothing
     * to decode but the last token), or the reasoning budget is spent: then the split character held back is the
     * reasoning's, and the forced {@code </think>} tokens are returned. A sampler that goes on (no grammar) sees them
     * too, for its penalties.
     */
    private int[] closeReasoning() {
        switchOnAnswer = false;
        flushUtf8();
        if (!budgetHit || forcedClose) {
            return new int[0];
        }
        forcedClose = true;
        int[] closing = vocab.tokenize(ReasoningParser.FORCED_CLOSE, false, true);
        text.forceAnswer();
        if (current == answer) {
            for (int t : closing) {
                current.accept(t);
            }
        }
        return closing;
    }

    private void flushUtf8() {
        String rest = utf8.flush();
        if (!rest.isEmpty()) {
            onToken(-1, rest);
        }
    }

    /** The generated token ids, reasoning included (not a forced {@code </think>}: the model did not choose it). */
    int[] tokens() {
        return Arrays.copyOf(tokens, generated);
    }

    /**
     * Ends the reply (a split UTF-8 character is flushed, held-back text released) and reads it. {@code stop} is why
     * decoding ended.
     */
    ChatTurn finish(StopReason stop) {
        flushUtf8();
        ReplyText.Outcome o = text.finish(stop);
        long end = System.nanoTime();
        return new ChatTurn(o.reasoning(), o.answer(), o.calls(), o.partialCall(), o.stop(), stats(end));
    }

    /** The reply of a turn cancelled before it had a sequence: nothing generated. */
    ChatTurn cancelledBeforeStart() {
        return new ChatTurn("", "", List.of(), null, StopReason.CANCELLED, new ChatTurn.Stats(prompt().length, 0, 0, 0, 0, 0, 0, 0));
    }

    /**
     * The one formula of a turn's figures: the prompt's time runs from the sequence's start to the first sampling (its
     * logits are there), generation from there to the end, the first token's from the caller's request.
     */
    private ChatTurn.Stats stats(long end) {
        int[] prompt = prompt();
        long promptDone = promptDoneAt == 0 ? end : promptDoneAt;
        long reasoning = reasoningStart == 0 ? 0 : (reasoningEnd == 0 ? end : reasoningEnd) - reasoningStart;
        return new ChatTurn.Stats(prompt.length, prompt.length - reused, generated, reasoningTokens,
                startedAt == 0 ? 0 : promptDone - startedAt, firstTokenAt == 0 ? 0 : firstTokenAt - requestedAt, reasoning,
                end - promptDone);
    }

    /** Frees the samplers; safe from any thread, once. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (answer != free) {
                answer.close();
            }
            free.close();
        }
    }
}
