package dev.jseek;

import dev.jseek.internal.LlamaLog;
import dev.jseek.internal.NativeHandle;

import dev.jseek.bindings.llama.ggml_abort_callback;
import dev.jseek.bindings.llama.llama_context_params;
import dev.jseek.bindings.llama.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A llama_context: the KV cache and compute state of one or more sequences over a {@link Model}.
 * One thread at a time: a second thread that calls any method using the native context (decode, logits, KV
 * edits, state save/load) while the first is inside one gets an IllegalStateException instead of corrupting the
 * state. {@link #cancel()} is safe from any thread at any time, even during or after {@link #close()}.
 */
public final class Context implements AutoCloseable {
    private final Model model;
    private final NativeHandle handle;
    private final AtomicBoolean cancelRequested = new AtomicBoolean();
    /** The same request as a byte in native memory, read by the native abort check (see native/shim). */
    private final MemorySegment nativeCancelFlag;
    private final int contextSize;
    private final int sequenceContextSize;
    private final int batchSize;
    private final int sequences;

    Context(Model model, ContextParams params) {
        this.model = model;
        // An automatic arena: the flag (and the fallback upcall) stay valid while this object is reachable, so
        // cancel() can never write to freed memory, even racing close(). ggml's workers may read it: shared.
        Arena flagArena = Arena.ofAuto();
        nativeCancelFlag = flagArena.allocate(1);
        // Under a lease, the model cannot close between creating this context and registering it as its child.
        try (NativeHandle.Lease lease = model.lease()) {
            MemorySegment ctx = create(lease.pointer(), params, flagArena);
            if (ctx.equals(MemorySegment.NULL)) {
                String reason = LlamaLog.recentErrors();
                throw new JseekException("Cannot create a context of " + params.contextSize() + " tokens for " + model.path()
                        + ": " + (reason.isEmpty() ? "llama.cpp gave no reason (run with --verbose)" : reason));
            }
            this.handle = new NativeHandle("context", ctx, llama_h::llama_free);
            this.contextSize = llama_h.llama_n_ctx(ctx);
            this.sequenceContextSize = llama_h.llama_n_ctx_seq(ctx);
            this.batchSize = llama_h.llama_n_batch(ctx);
            this.sequences = llama_h.llama_n_seq_max(ctx);
            model.adopt(this);
        }
    }

    private MemorySegment create(MemorySegment model, ContextParams params, Arena flagArena) {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment p = nativeParams(params, scratch);
            MemorySegment nativeCheck = SymbolLookup.loaderLookup().find("jseek_abort_requested").orElse(null);
            if (nativeCheck != null) {
                llama_context_params.abort_callback(p, nativeCheck);
                llama_context_params.abort_callback_data(p, nativeCancelFlag);
            } else {
                // without the shim: a Java upcall, correct but slower (ggml asks before every graph node)
                llama_context_params.abort_callback(p, ggml_abort_callback.allocate(this::shouldAbort, flagArena));
            }
            LlamaLog.clearErrors();
            return llama_h.llama_init_from_model(model, p);
        }
    }

    /** llama_context_params for these settings (no abort callback); also what {@link MemoryEstimate} measures. */
    static MemorySegment nativeParams(ContextParams params, Arena arena) {
        MemorySegment p = llama_h.llama_context_default_params(arena);
        llama_context_params.n_ctx(p, params.contextSize());
        llama_context_params.n_batch(p, params.batchSize());
        llama_context_params.n_ubatch(p, Math.min(params.microBatch(), params.batchSize()));
        llama_context_params.n_seq_max(p, params.sequences());
        llama_context_params.n_threads(p, params.threads());
        llama_context_params.n_threads_batch(p, params.batchThreads());
        llama_context_params.flash_attn_type(p, params.flashAttention().llamaValue());
        llama_context_params.type_k(p, params.cacheTypeK().ggmlType());
        llama_context_params.type_v(p, params.cacheTypeV().ggmlType());
        llama_context_params.no_perf(p, false);
        return p;
    }

    /** The upcall: a plain flag read, nothing that can throw. */
    private boolean shouldAbort(MemorySegment userData) {
        return cancelRequested.get();
    }

    public Model model() {
        return model;
    }

    /** Tokens the KV cache holds (llama.cpp may round the requested size up). */
    public int contextSize() {
        return contextSize;
    }

    /** Tokens one sequence can hold: the context size divided among the sequences (rounded up by llama.cpp). */
    public int sequenceContextSize() {
        return sequenceContextSize;
    }

    /** Most tokens one {@link #decode} call accepts. */
    public int batchSize() {
        return batchSize;
    }

    public int sequences() {
        return sequences;
    }

    /**
     * Runs the model over a batch. Throws {@link DecodeException.ContextFull} when the KV cache has no room,
     * {@link DecodeException.Aborted} after {@link #cancel()}, {@link DecodeException.InvalidBatch} for a bad
     * batch, and a plain {@link DecodeException} for any other failure.
     */
    public void decode(Batch batch) {
        int rc = use(c -> batch.use(b -> llama_h.llama_decode(c, b)));
        if (rc != 0) {
            throw DecodeException.of(rc, batch.size(), contextSize);
        }
    }

    /** The logits of output {@code index} of the last decode (-1: the last output), copied out of native memory. */
    public float[] logits(int index) {
        int n = model.vocab().size();
        return use(c -> logitsRow(c, index).reinterpret((long) n * Float.BYTES).toArray(ValueLayout.JAVA_FLOAT));
    }

    /**
     * The logits row of an output, checked: llama.cpp returns NULL for an output the last decode did not produce,
     * and its sampler asserts (ends the process) on that NULL, so every sample checks here first.
     */
    static MemorySegment logitsRow(MemorySegment context, int index) {
        MemorySegment row = llama_h.llama_get_logits_ith(context, index);
        if (row.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException("the last decode has no logits for output " + index
                    + " (decode a batch that asks for them first)");
        }
        return row;
    }

    /** Waits until all computation submitted to the backends has finished (GPU backends run asynchronously). */
    public void synchronize() {
        use(c -> {
            llama_h.llama_synchronize(c);
            return null;
        });
    }

    /** Asks a running or the next {@link #decode} to stop soon; safe from any thread. */
    public void cancel() {
        cancelRequested.set(true);
        setNativeFlag((byte) 1);
    }

    /** Clears a cancel request so decoding can go on. */
    public void resetCancel() {
        cancelRequested.set(false);
        setNativeFlag((byte) 0);
    }

    private void setNativeFlag(byte value) {
        CANCEL_FLAG.setVolatile(nativeCancelFlag, 0L, value);
    }

    private static final VarHandle CANCEL_FLAG = ValueLayout.JAVA_BYTE.varHandle();

    public boolean isCancelRequested() {
        return cancelRequested.get();
    }

    /** Empties the KV cache of every sequence. */
    public void clearMemory() {
        use(c -> {
            llama_h.llama_memory_clear(llama_h.llama_get_memory(c), true);
            return null;
        });
    }

    /** Removes positions [from, to) of a sequence from the KV cache (to = -1: to the end). */
    public boolean removeTokens(int sequence, int from, int to) {
        checkSequence(sequence);
        return use(c -> llama_h.llama_memory_seq_rm(llama_h.llama_get_memory(c), sequence, from, to));
    }

    /** The last position the KV cache holds for a sequence, or -1 if it holds none. */
    public int lastPosition(int sequence) {
        checkSequence(sequence);
        return use(c -> llama_h.llama_memory_seq_pos_max(llama_h.llama_get_memory(c), sequence));
    }

    /** The KV-cache state of one sequence, copied out of native memory. */
    public byte[] saveSequence(int sequence) {
        checkSequence(sequence);
        return use(c -> {
            long size = llama_h.llama_state_seq_get_size(c, sequence);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(Math.max(1, size));
                long written = llama_h.llama_state_seq_get_data(c, buf, size, sequence);
                return buf.asSlice(0, written).toArray(ValueLayout.JAVA_BYTE);
            }
        });
    }

    /**
     * Restores a sequence saved by {@link #saveSequence} (same model); its previous content is replaced. If the
     * state does not fit, the sequence is left empty.
     */
    public void loadSequence(int sequence, byte[] state) {
        checkSequence(sequence);
        boolean loaded = use(c -> {
            llama_h.llama_memory_seq_rm(llama_h.llama_get_memory(c), sequence, -1, -1);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocateFrom(ValueLayout.JAVA_BYTE, state);
                LlamaLog.clearErrors();
                if (llama_h.llama_state_seq_set_data(c, buf, state.length, sequence) != 0) {
                    return true;
                }
                llama_h.llama_memory_seq_rm(llama_h.llama_get_memory(c), sequence, -1, -1);
                return false;
            }
        });
        if (!loaded) {
            String reason = LlamaLog.recentErrors();
            throw new JseekException("The saved KV-cache state does not fit this context"
                    + (reason.isEmpty() ? "" : " (" + reason + ")") + "; load it with the same model and a context at least as large.");
        }
    }

    /** llama.cpp asserts (ends the process) on a sequence id outside [0, n_seq_max). */
    private void checkSequence(int sequence) {
        if (sequence < 0 || sequence >= sequences) {
            throw new IllegalArgumentException("sequence " + sequence + " is outside this context's " + sequences
                    + " sequence" + (sequences == 1 ? "" : "s") + " (0.." + (sequences - 1) + ")");
        }
    }

    /**
     * Runs a native call on the context: one thread at a time (another thread is refused with
     * IllegalStateException), and close() waits for it.
     */
    <T> T use(Function<MemorySegment, T> action) {
        return handle.exclusive(action);
    }

    public boolean isClosed() {
        return handle.isClosed();
    }

    /**
     * Frees the KV cache and compute buffers; a second call does nothing. From another thread during a decode, it
     * cancels the decode and waits for it to return first.
     */
    @Override
    public void close() {
        if (handle.isClosed()) {
            return;
        }
        cancel();
        handle.close();
        model.release(this);
    }

    @Override
    public String toString() {
        return "Context[" + contextSize + " tokens" + (isClosed() ? ", closed" : "") + "]";
    }
}
