package dev.jseek;

import java.util.Arrays;

/**
 * The decode loop for one sequence: feeds a prompt in batch-sized chunks, then samples and feeds one token
 * at a time until an end-of-generation token, the token limit, a full context or a cancel. Positions continue
 * from what the sequence already holds in the KV cache, so calling it again continues the same text: a token that
 * was streamed but not yet decoded when a call stopped is decoded first by the next call (unless the KV cache was
 * edited in between).
 * Streams text as it is complete UTF-8. One generator per context; not thread-safe (cancel via the context).
 */
public final class Generator implements AutoCloseable {
    private final Context context;
    private final Vocab vocab;
    private final Batch batch;
    private final int sequence;
    private boolean stopRequested;
    /**
     * The last token a stopped generation sampled and streamed but did not decode (max tokens, a stop request),
     * and the position it belongs at: the next call decodes it first instead of sampling the old logits again.
     */
    private int pendingToken = -1;
    private int pendingPosition = -1;

    public Generator(Context context, int sequence) {
        this.context = context;
        this.vocab = context.model().vocab();
        this.batch = new Batch(context.batchSize(), 1);
        this.sequence = sequence;
    }

    /** Ends the running {@link #generate} after the current token; for listeners (same thread). */
    public void requestStop() {
        stopRequested = true;
    }

    /** Whether the last call stopped with a streamed token not yet decoded (the next call decodes it first). */
    public boolean holdsUndecodedToken() {
        return pendingToken >= 0;
    }

    /** Forgets the undecoded token, for a caller that edits the sequence before the next call. */
    public void discardUndecodedToken() {
        pendingToken = -1;
    }

    /** Receives each generated token and the text it completed (empty while a character is split). */
    @FunctionalInterface
    public interface Listener {
        void onToken(int token, String text);
    }

    public enum StopReason {
        /** The model ended its turn (EOS / EOT). */
        END_OF_GENERATION,
        /** The requested number of tokens was generated. */
        MAX_TOKENS,
        /** The context has no room for another token. */
        CONTEXT_FULL,
        /** {@link Context#cancel()} was called. */
        CANCELLED,
        /** The listener called {@link #requestStop()} (a stop string, a reasoning budget). */
        STOPPED
    }

    /** Timings of one generate call. */
    public record Stats(int promptTokens, long promptNanos, int generatedTokens, long generationNanos) {
        public double promptTokensPerSecond() {
            return promptNanos == 0 ? 0 : promptTokens * 1e9 / promptNanos;
        }

        public double generationTokensPerSecond() {
            return generationNanos == 0 ? 0 : generatedTokens * 1e9 / generationNanos;
        }
    }

    /** What was generated; {@code text} renders control tokens (e.g. {@code </think>}) as their text. */
    public record Result(int[] tokens, String text, StopReason stopReason, Stats stats) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Result r && Arrays.equals(tokens, r.tokens) && text.equals(r.text)
                    && stopReason == r.stopReason && stats.equals(r.stats);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(tokens) * 31 + text.hashCode();
        }

        @Override
        public String toString() {
            return "Result[" + tokens.length + " tokens, " + stopReason + ", " + text + "]";
        }
    }

    /**
     * Decodes the prompt (may be empty, to continue), then generates up to {@code maxTokens} tokens.
     * A cancel during the prompt stops before any token is generated; the tokens decoded so far stay in the KV cache.
     */
    public Result generate(int[] prompt, Sampler sampler, int maxTokens, Listener listener) {
        if (maxTokens < 0) {
            throw new IllegalArgumentException("maxTokens must not be negative, not " + maxTokens);
        }
        int position = context.lastPosition(sequence) + 1;
        if (pendingToken >= 0 && pendingPosition == position) {
            prompt = prepend(pendingToken, prompt); // the KV cache still ends where the stopped call left it
        }
        pendingToken = -1;
        if (prompt.length == 0 && position == 0) {
            throw new IllegalArgumentException("nothing to continue: the prompt is empty and the sequence holds no tokens");
        }
        int room = context.sequenceContextSize();
        if (position + prompt.length > room) {
            throw new DecodeException.ContextFull(prompt.length, room);
        }
        long start = System.nanoTime();
        int[] generated = new int[Math.min(maxTokens, room + 1)];
        int count = 0;
        StringBuilder text = new StringBuilder();
        Utf8Stream utf8 = new Utf8Stream();
        StopReason stop = null;
        stopRequested = false;
        try {
            position = decodePrompt(prompt, position);
        } catch (DecodeException.Aborted e) {
            stop = StopReason.CANCELLED;
        }
        long promptDone = System.nanoTime();
        while (stop == null) {
            if (count == maxTokens) {
                stop = StopReason.MAX_TOKENS;
                break;
            }
            int token = sampler.sample(context, -1);
            if (vocab.isEndOfGeneration(token)) {
                stop = StopReason.END_OF_GENERATION;
                break;
            }
            generated[count++] = token;
            String piece = utf8.push(vocab.piece(token, true));
            text.append(piece);
            listener.onToken(token, piece);
            if (stopRequested) {
                stop = StopReason.STOPPED;
                break;
            }
            if (count == maxTokens) {
                stop = StopReason.MAX_TOKENS;
                break;
            }
            if (position >= room) {
                stop = StopReason.CONTEXT_FULL;
                break;
            }
            batch.clear();
            batch.add(token, position++, sequence, true);
            try {
                context.decode(batch);
            } catch (DecodeException.Aborted e) {
                stop = StopReason.CANCELLED;
            }
        }
        if (count > 0 && (stop == StopReason.MAX_TOKENS || stop == StopReason.STOPPED)) {
            pendingToken = generated[count - 1];
            pendingPosition = position;
        }
        String rest = utf8.flush();
        if (!rest.isEmpty()) {
            text.append(rest);
            listener.onToken(-1, rest);
        }
        long end = System.nanoTime();
        Stats stats = new Stats(prompt.length, promptDone - start, count, end - promptDone);
        return new Result(Arrays.copyOf(generated, count), text.toString(), stop, stats);
    }

    private static int[] prepend(int token, int[] tokens) {
        int[] all = new int[tokens.length + 1];
        all[0] = token;
        System.arraycopy(tokens, 0, all, 1, tokens.length);
        return all;
    }

    /** Feeds the prompt in chunks of the context's batch size; only the very last token needs logits. */
    private int decodePrompt(int[] prompt, int position) {
        for (int i = 0; i < prompt.length; ) {
            batch.clear();
            int end = Math.min(prompt.length, i + batch.capacity());
            for (; i < end; i++) {
                batch.add(prompt[i], position++, sequence, i == prompt.length - 1);
            }
            context.decode(batch);
        }
        return position;
    }

    @Override
    public void close() {
        batch.close();
    }
}
