package dev.jseek;

import dev.jseek.internal.NativeHandle;

import dev.jseek.bindings.llama.llama_batch;
import dev.jseek.bindings.llama.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.Function;

/**
 * A llama_batch: tokens with their positions, sequence ids and whether logits are wanted for each.
 * Allocated once with a capacity and reused (clear, add, decode). Not thread-safe.
 */
public final class Batch implements AutoCloseable {
    private final NativeHandle handle;
    private final int capacity;
    private final int maxSequencesPerToken;
    private final MemorySegment tokens;
    private final MemorySegment positions;
    private final MemorySegment sequenceCounts;
    private final MemorySegment[] sequenceIds;
    private final MemorySegment logits;
    private int size;

    public Batch(int capacity, int maxSequencesPerToken) {
        if (capacity < 1 || maxSequencesPerToken < 1) {
            throw new IllegalArgumentException("a batch needs room for at least one token and one sequence");
        }
        Backend.get();
        this.capacity = capacity;
        this.maxSequencesPerToken = maxSequencesPerToken;
        Arena arena = Arena.ofShared(); // holds the struct itself; llama_batch_free frees the arrays it points to
        MemorySegment batch = llama_h.llama_batch_init(arena, capacity, 0, maxSequencesPerToken);
        this.handle = new NativeHandle("batch", batch, b -> {
            llama_h.llama_batch_free(b);
            arena.close();
        });
        this.tokens = llama_batch.token(batch).reinterpret((long) capacity * Integer.BYTES);
        this.positions = llama_batch.pos(batch).reinterpret((long) capacity * Integer.BYTES);
        this.sequenceCounts = llama_batch.n_seq_id(batch).reinterpret((long) capacity * Integer.BYTES);
        this.logits = llama_batch.logits(batch).reinterpret(capacity);
        MemorySegment rows = llama_batch.seq_id(batch).reinterpret((long) capacity * ValueLayout.ADDRESS.byteSize());
        this.sequenceIds = new MemorySegment[capacity];
        for (int i = 0; i < capacity; i++) {
            sequenceIds[i] = rows.getAtIndex(ValueLayout.ADDRESS, i)
                    .reinterpret((long) maxSequencesPerToken * Integer.BYTES);
        }
    }

    /** Appends one token for one sequence. */
    public void add(int token, int position, int sequence, boolean wantLogits) {
        use(b -> {
            if (size == capacity) {
                throw new IllegalStateException("the batch is full (" + capacity + " tokens)");
            }
            // the arrays are llama.cpp's (reinterpreted, unchecked): written only while the handle is held and open
            tokens.setAtIndex(ValueLayout.JAVA_INT, size, token);
            positions.setAtIndex(ValueLayout.JAVA_INT, size, position);
            sequenceCounts.setAtIndex(ValueLayout.JAVA_INT, size, 1);
            sequenceIds[size].setAtIndex(ValueLayout.JAVA_INT, 0, sequence);
            logits.set(ValueLayout.JAVA_BYTE, size, (byte) (wantLogits ? 1 : 0));
            size++;
            llama_batch.n_tokens(b, size);
            return null;
        });
    }

    /** Empties the batch (the memory is kept). */
    public void clear() {
        use(b -> {
            size = 0;
            llama_batch.n_tokens(b, 0);
            return null;
        });
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    public int maxSequencesPerToken() {
        return maxSequencesPerToken;
    }

    /** Runs an action on the struct (passed by value to llama_decode): one thread at a time, and close() waits. */
    <T> T use(Function<MemorySegment, T> action) {
        return handle.exclusive(action);
    }

    @Override
    public void close() {
        handle.close();
    }
}
