package dev.jseek.chat;

import dev.jseek.Batch;
import dev.jseek.Context;
import dev.jseek.DecodeException;
import dev.jseek.Generator.StopReason;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The chat layer's one decode loop, over the sequences of one context. Each {@link #step} decodes one batch holding,
 * for every sequence that runs a {@link Turn}, the token the turn sampled last, or the next chunk of its prompt or of
 * a forced {@code </think>}; then each turn whose logits are in the batch samples its next token. A
 * {@link ChatSession} steps it on the caller's thread with one sequence until its turn ends; a {@link ChatEngine}
 * steps it on the engine's thread with many, as requests come and go. One loop, so a reply is decoded alike by both
 * (a turn alone in the loop decodes exactly the batches llama-simple's loop would).
 *
 * <p>It also keeps, per sequence, the tokens its KV cache holds (so a new turn keeps the prefix it shares, and a
 * session can save them). One thread steps it; {@link #heldCount} may be read from any.
 */
final class DecodeLoop implements AutoCloseable {
    /**
     * Told when a turn leaves its sequence (the loop has already let the sequence go): why it stopped, or (stop null)
     * what failed it.
     */
    @FunctionalInterface
    interface Ends {
        void ended(int sequence, Turn turn, StopReason stop, Throwable failure);
    }

    /** A sequence's turn and what it has yet to decode before it samples. */
    private static final class Slot {
        Turn turn;
        int[] feed;
        int fed;
        /** The feed is one sampled token: it goes first in the batch. */
        boolean sampled;
        /** Which output of the step's decode holds the turn's logits, or -1. */
        int sampleIndex = -1;
    }

    private final Context context;
    private final Batch batch;
    private final int room;
    private final Slot[] slots;
    /** The tokens each sequence's KV cache holds, in order; the count also for other threads. */
    private final int[][] held;
    private final AtomicIntegerArray heldCount;
    /** The prompt length of each sequence's last turn: what a continuation of its conversation would share. */
    private final int[] heldPrompt;
    private final long[] lastUsed;
    private long clock;

    DecodeLoop(Context context) {
        this.context = context;
        this.batch = new Batch(context.batchSize(), 1);
        this.room = context.sequenceContextSize();
        int n = context.sequences();
        this.slots = new Slot[n];
        this.held = new int[n][];
        for (int s = 0; s < n; s++) {
            slots[s] = new Slot();
            held[s] = new int[64];
        }
        this.heldCount = new AtomicIntegerArray(n);
        this.heldPrompt = new int[n];
        this.lastUsed = new long[n];
    }

    /** Tokens one sequence holds (prompt and reply). */
    int room() {
        return room;
    }

    int sequences() {
        return slots.length;
    }

    /** The turn sequence {@code s} runs, or null. */
    Turn turn(int s) {
        return slots[s].turn;
    }

    /** Tokens sequence {@code s}'s KV cache holds now. */
    int heldCount(int s) {
        return heldCount.get(s);
    }

    /** The tokens sequence {@code s}'s KV cache holds, in order. */
    int[] held(int s) {
        return Arrays.copyOf(held[s], heldCount.get(s));
    }

    /** Records what sequence {@code s} holds after its KV cache was loaded from outside the loop. */
    void hold(int s, int[] tokens) {
        held[s] = Arrays.copyOf(tokens, Math.max(64, tokens.length));
        heldCount.set(s, tokens.length);
    }

    /** How many of {@code prompt}'s first tokens sequence {@code s} already holds. */
    int shared(int s, int[] prompt) {
        int n = Math.min(heldCount.get(s), prompt.length);
        int i = 0;
        while (i < n && held[s][i] == prompt[i]) {
            i++;
        }
        return i;
    }

    /**
     * The free sequence for a new prompt: the one sharing the longest prefix with it, where a sequence that shares
     * less than half of the prompt it last took counts as sharing nothing (a few common tokens, a BOS and a role
     * marker, are not worth throwing a conversation away for); among equals the least recently used.
     */
    int choose(int[] prompt, java.util.function.IntPredicate free) {
        int best = -1;
        int bestShared = -1;
        for (int s = 0; s < slots.length; s++) {
            if (!free.test(s)) {
                continue;
            }
            int shared = shared(s, prompt);
            if (2 * shared < heldPrompt[s]) {
                shared = 0;
            }
            if (shared > bestShared || (shared == bestShared && lastUsed[s] < lastUsed[best])) {
                best = s;
                bestShared = shared;
            }
        }
        return best;
    }

    /**
     * Gives sequence {@code s} to the turn: keeps the prefix it shares with the turn's prompt (one token less than the
     * whole prompt, so that there are fresh logits to sample from), removes the rest, and returns how many it kept.
     */
    int start(int s, Turn turn) {
        int[] prompt = turn.prompt();
        int reuse = Math.min(shared(s, prompt), prompt.length - 1);
        if (!context.removeTokens(s, reuse, -1)) {
            context.removeTokens(s, 0, -1); // this memory cannot cut a sequence: start it afresh
            reuse = 0;
        }
        heldCount.set(s, reuse);
        heldPrompt[s] = prompt.length;
        Slot slot = slots[s];
        slot.turn = turn;
        slot.feed = prompt;
        slot.fed = reuse;
        slot.sampled = false;
        turn.started(reuse);
        return reuse;
    }

    /** Takes the turn off sequence {@code s} (it ended outside a step: cancelled, or its start failed). */
    Turn release(int s) {
        Turn t = slots[s].turn;
        if (t != null) {
            lastUsed[s] = ++clock;
        }
        slots[s].turn = null;
        slots[s].feed = null;
        return t;
    }

    /** Cuts sequence {@code s} back to its first {@code kept} tokens, in the KV cache and the record. */
    void cut(int s, int kept) {
        heldCount.set(s, Math.min(heldCount.get(s), kept));
        context.removeTokens(s, kept, -1);
    }

    /** Whether any sequence runs a turn. */
    boolean busy() {
        for (Slot slot : slots) {
            if (slot.turn != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Decodes one batch, then lets every turn with logits in it sample. This is where a turn's next tokens are chosen
     * and fed: speculative decoding plugs in here (a draft proposes several tokens per sequence, they go into the
     * batch with logits, and {@link Turn#sample} accepts the prefix the target agrees with) and nowhere else.
     */
    void step(Ends ends) {
        batch.clear();
        for (int s = 0; s < slots.length; s++) {
            slots[s].sampleIndex = -1;
            if (slots[s].turn != null && slots[s].sampled) {
                feed(slots[s], s); // a generating sequence's token first: prompts fill the rest of the batch
            }
        }
        for (int s = 0; s < slots.length; s++) {
            Slot slot = slots[s];
            while (slot.turn != null && !slot.sampled && slot.fed < slot.feed.length && batch.size() < batch.capacity()) {
                feed(slot, s);
            }
        }
        try {
            context.decode(batch);
        } catch (RuntimeException e) {
            decodeFailed(e, ends);
            return;
        }
        for (int s = 0; s < slots.length; s++) {
            Slot slot = slots[s];
            if (slot.turn == null || slot.sampleIndex < 0) {
                continue;
            }
            Turn turn = slot.turn;
            StopReason stop;
            try {
                stop = turn.sample(context, slot.sampleIndex, heldCount.get(s), room);
            } catch (RuntimeException | Error e) {
                release(s);
                ends.ended(s, turn, null, e);
                continue;
            }
            if (stop != null) {
                release(s);
                ends.ended(s, turn, stop, null);
            } else {
                slot.feed = turn.next();
                slot.fed = 0;
                slot.sampled = slot.feed.length == 1;
            }
        }
    }

    /** Adds the slot's next token to the batch; the last of its feed asks for logits. */
    private void feed(Slot slot, int s) {
        int token = slot.feed[slot.fed++];
        boolean last = slot.fed == slot.feed.length;
        if (last) {
            slot.sampleIndex = batch.size();
            slot.sampled = false;
        }
        int n = heldCount.get(s);
        if (n == held[s].length) {
            held[s] = Arrays.copyOf(held[s], n * 2);
        }
        held[s][n] = token;
        heldCount.set(s, n + 1);
        batch.add(token, n, s, last);
    }

    /**
     * A decode that failed leaves each sequence as llama.cpp restored it (the failed part removed): the record is cut
     * to match, and every turn ends (cancelled for an abort, failed otherwise).
     */
    private void decodeFailed(RuntimeException e, Ends ends) {
        for (int s = 0; s < slots.length; s++) {
            if (slots[s].turn == null) {
                continue;
            }
            heldCount.set(s, Math.min(heldCount.get(s), Math.max(0, context.lastPosition(s) + 1)));
            Turn turn = release(s);
            if (e instanceof DecodeException.Aborted) {
                ends.ended(s, turn, StopReason.CANCELLED, null);
            } else {
                ends.ended(s, turn, null, e);
            }
        }
    }

    @Override
    public void close() {
        batch.close();
    }
}
