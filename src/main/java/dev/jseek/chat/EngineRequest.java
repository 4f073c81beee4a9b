package dev.jseek.chat;

import dev.jseek.Context;
import dev.jseek.Generator;
import dev.jseek.Grammar;
import dev.jseek.Sampler;
import dev.jseek.Utf8Stream;
import dev.jseek.Vocab;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One request of a {@link ChatEngine}: its prompt and samplers, made when it is submitted (so a request that cannot
 * run fails on the caller's thread), and its decoding state, which only the engine's thread touches: what of the
 * prompt is fed, the token waiting to be decoded, the forced end of a reasoning block, the reply so far.
 */
final class EngineRequest {
    final ChatEngine.Listener listener;
    final int[] prompt;
    private final Sampler free;
    private final Sampler answer;
    private Sampler current;
    private final ReplyStream reply;
    private final int maxTokens;
    final CompletableFuture<ChatEngine.Reply> result = new CompletableFuture<>();
    private final long submittedAt = System.nanoTime();
    private final Utf8Stream utf8 = new Utf8Stream();
    volatile boolean cancelled;
    int sequence = -1;
    /** Prompt tokens in the sequence (reused or decoded), and the position of the next token. */
    int fed;
    int position;
    int reused;
    /** The sampled token to decode next, or -1. */
    int pending = -1;
    /** Which output of the step's decode holds this request's logits, or -1. */
    int sampleIndex = -1;
    /** After a spent reasoning budget: the last sampled token and the forced {@code </think>}, to decode. */
    int[] forced;
    int forcedFed;
    private int[] tokens = new int[16];
    private int generated;
    long startedAt;
    private boolean closed;

    /**
     * @param room tokens a sequence holds
     * @throws ChatInputException when the prompt does not fit (and old turns may not be dropped)
     */
    EngineRequest(ChatPrompt builder, Vocab vocab, int room, List<ChatMessage> messages, ChatOptions options,
                  ChatEngine.Listener listener) {
        this.listener = listener;
        this.maxTokens = options.maxTokens();
        ChatPrompt.Built built;
        synchronized (builder) { // a Jinja template's native state is used by one thread at a time
            List<ChatMessage> all = new ArrayList<>(messages);
            if (options.overflow() == ChatOptions.Overflow.FAIL) {
                built = builder.build(all, options);
                if (built.tokens().length + 1 > room) {
                    throw new ChatInputException(ChatInputException.Kind.CONTEXT_OVERFLOW, "The prompt has " + built.tokens().length
                            + " tokens but a parallel slot holds " + room + "; shorten it, use fewer parallel sequences or a larger context.");
                }
            } else {
                built = builder.fit(all, options, room, listener);
            }
        }
        this.prompt = built.tokens();
        // With a grammar, reasoning is sampled freely and the answer under the grammar (as in a session)
        Grammar grammar = ReplyStream.answerGrammar(options, built);
        this.free = new Sampler(vocab, options.sampling());
        try {
            this.answer = grammar == null ? free : new Sampler(vocab, options.sampling(), grammar);
        } catch (RuntimeException e) {
            free.close();
            throw e;
        }
        this.current = built.opensThinking() ? free : answer;
        this.reply = new ReplyStream(options, built, listener, current != answer);
    }

    /**
     * Samples the next token from this request's output of the last decode and streams it; returns why the reply
     * ends, or null when it goes on (the token, or the forced close of its reasoning, is then decoded next step).
     * Stops as a {@link ChatSession} turn does: a stop string, the token limit, a full sequence, the model's end.
     */
    Generator.StopReason sampleNext(Context context, Vocab vocab, int[] forcedClose, int room) {
        int token = current.sample(context, sampleIndex);
        if (vocab.isEndOfGeneration(token)) {
            return Generator.StopReason.END_OF_GENERATION;
        }
        if (generated == tokens.length) {
            tokens = Arrays.copyOf(tokens, generated * 2);
        }
        tokens[generated++] = token;
        reply.onToken(token, utf8.push(vocab.piece(token, true)));
        boolean stop = reply.stopRequested();
        if (stop && reply.stops.stopped()) {
            return Generator.StopReason.STOPPED;
        }
        if (generated == maxTokens) {
            return Generator.StopReason.MAX_TOKENS;
        }
        if (!stop) {
            if (position >= room) {
                return Generator.StopReason.CONTEXT_FULL;
            }
            pending = token;
            return null;
        }
        // the reasoning ended (the answer has a sampler of its own) or its budget is spent (close it ourselves)
        int[] closing = reply.resume(current, answer, forcedClose);
        int[] next = new int[closing.length + 1];
        next[0] = token;
        System.arraycopy(closing, 0, next, 1, closing.length);
        current = answer;
        if (position + next.length > room) {
            return Generator.StopReason.CONTEXT_FULL;
        }
        if (next.length == 1) {
            pending = token;
        } else {
            forced = next;
            forcedFed = 0;
        }
        return null;
    }

    /** Ends the reply (a split UTF-8 character is flushed, held-back text released) and reads it. */
    ChatEngine.Reply finish(Generator.StopReason stop) {
        String rest = utf8.flush();
        if (!rest.isEmpty()) {
            reply.onToken(-1, rest);
        }
        ReplyStream.Outcome o = reply.finish(stop);
        long end = System.nanoTime();
        long first = reply.firstTokenAt;
        ChatTurn.Stats stats = new ChatTurn.Stats(prompt.length, prompt.length - reused, generated, reply.reasoningTokens,
                (first == 0 ? end : first) - startedAt, first == 0 ? 0 : first - submittedAt, reply.reasoningNanos(end),
                first == 0 ? 0 : end - first);
        return new ChatEngine.Reply(new ChatTurn(o.reasoning(), o.answer(), o.calls(), o.stop(), stats),
                Arrays.copyOf(tokens, generated), sequence);
    }

    /** Completes a request cancelled while it waited: CANCELLED, nothing generated, no sequence. */
    void cancelBeforeStart() {
        close();
        result.complete(new ChatEngine.Reply(new ChatTurn("", "", Generator.StopReason.CANCELLED,
                new ChatTurn.Stats(prompt.length, 0, 0, 0, 0, 0, 0, 0)), new int[0], -1));
    }

    synchronized void close() {
        if (!closed) {
            closed = true;
            if (answer != free) {
                answer.close();
            }
            free.close();
        }
    }
}
