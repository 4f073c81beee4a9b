package dev.jseek;

import dev.jseek.internal.LlamaLog;
import dev.jseek.internal.NativeHandle;

import dev.jseek.bindings.llama.ggml_abort_callback;
import dev.jseek.bindings.llama.llama_context_params;
import dev.jseek.bindings.llama.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A llama_context: the KV cache and compute state of one or more sequences over a {@link Model}.
 * One thread at a time: a second thread that calls {@link #decode} while the first is inside it gets an
 * IllegalStateException instead of corrupting the state. {@link #cancel()} may be called from any thread.
 */
public final class Context implements AutoCloseable {
    private final Model model;
    private final NativeHandle handle;
    private final AtomicBoolean cancelRequested = new AtomicBoolean();
    /** The same request as a byte in native memory, read by the native abort check (see native/shim). */
    private final MemorySegment nativeCancelFlag;
    private final AtomicReference<Thread> decoding = new AtomicReference<>();
    private final int contextSize;
    private final int sequenceContextSize;
    private final int batchSize;
    private final int sequences;

    Context(Model model, ContextParams params) {
        this.model = model;
        // Shared: the abort callback may be called from ggml's worker threads; it lives as long as the context.
        Arena arena = Arena.ofShared();
        MemorySegment ctx;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment p = llama_h.llama_context_default_params(scratch);
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
            nativeCancelFlag = arena.allocate(1);
            MemorySegment nativeCheck = SymbolLookup.loaderLookup().find("jseek_abort_requested").orElse(null);
            if (nativeCheck != null) {
                llama_context_params.abort_callback(p, nativeCheck);
                llama_context_params.abort_callback_data(p, nativeCancelFlag);
            } else {
                // without the shim: a Java upcall, correct but slower (ggml asks before every graph node)
                llama_context_params.abort_callback(p, ggml_abort_callback.allocate(this::shouldAbort, arena));
            }
            LlamaLog.clearErrors();
            ctx = llama_h.llama_init_from_model(model.segment(), p);
        }
        if (ctx.equals(MemorySegment.NULL)) {
            arena.close();
            String reason = LlamaLog.recentErrors();
            throw new JseekException("Cannot create a context of " + params.contextSize() + " tokens for " + model.path()
                    + ": " + (reason.isEmpty() ? "llama.cpp gave no reason (run with --verbose)" : reason));
        }
        this.handle = new NativeHandle("context", ctx, c -> {
            llama_h.llama_free(c);
            arena.close();
        });
        this.contextSize = llama_h.llama_n_ctx(ctx);
        this.sequenceContextSize = llama_h.llama_n_ctx_seq(ctx);
        this.batchSize = llama_h.llama_n_batch(ctx);
        this.sequences = llama_h.llama_n_seq_max(ctx);
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
        Thread me = Thread.currentThread();
        if (!decoding.compareAndSet(null, me)) {
            throw new IllegalStateException("This context is in use by thread " + decoding.get().getName()
                    + "; a context serves one thread at a time.");
        }
        try {
            int rc = llama_h.llama_decode(segment(), batch.struct());
            if (rc != 0) {
                throw DecodeException.of(rc, batch.size(), contextSize);
            }
        } finally {
            decoding.set(null);
        }
    }

    /** The logits of output {@code index} of the last decode (-1: the last output), copied out of native memory. */
    public float[] logits(int index) {
        MemorySegment row = llama_h.llama_get_logits_ith(segment(), index);
        if (row.equals(MemorySegment.NULL)) {
            throw new IllegalArgumentException("the last decode has no logits for output " + index);
        }
        int n = model.vocab().size();
        return row.reinterpret((long) n * Float.BYTES).toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
    }

    /** Waits until all computation submitted to the backends has finished (GPU backends run asynchronously). */
    public void synchronize() {
        llama_h.llama_synchronize(segment());
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
        if (!handle.isClosed()) {
            CANCEL_FLAG.setVolatile(nativeCancelFlag, 0L, value);
        }
    }

    private static final java.lang.invoke.VarHandle CANCEL_FLAG = java.lang.foreign.ValueLayout.JAVA_BYTE.varHandle();

    public boolean isCancelRequested() {
        return cancelRequested.get();
    }

    /** Empties the KV cache of every sequence. */
    public void clearMemory() {
        llama_h.llama_memory_clear(memory(), true);
    }

    /** Removes positions [from, to) of a sequence from the KV cache (to = -1: to the end). */
    public boolean removeTokens(int sequence, int from, int to) {
        return llama_h.llama_memory_seq_rm(memory(), sequence, from, to);
    }

    /** The last position the KV cache holds for a sequence, or -1 if it holds none. */
    public int lastPosition(int sequence) {
        return llama_h.llama_memory_seq_pos_max(memory(), sequence);
    }

    /** The KV-cache state of one sequence, copied out of native memory. */
    public byte[] saveSequence(int sequence) {
        MemorySegment ctx = segment();
        long size = llama_h.llama_state_seq_get_size(ctx, sequence);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, size));
            long written = llama_h.llama_state_seq_get_data(ctx, buf, size, sequence);
            return buf.asSlice(0, written).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    /** Restores a sequence saved by {@link #saveSequence} (same model); its previous content is replaced. */
    public void loadSequence(int sequence, byte[] state) {
        removeTokens(sequence, 0, -1);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocateFrom(java.lang.foreign.ValueLayout.JAVA_BYTE, state);
            LlamaLog.clearErrors();
            if (llama_h.llama_state_seq_set_data(segment(), buf, state.length, sequence) == 0) {
                String reason = LlamaLog.recentErrors();
                throw new JseekException("The saved KV-cache state does not fit this context"
                        + (reason.isEmpty() ? "" : " (" + reason + ")") + "; load it with the same model and a context at least as large.");
            }
        }
    }

    private MemorySegment memory() {
        return llama_h.llama_get_memory(segment());
    }

    MemorySegment segment() {
        return handle.get();
    }

    public boolean isClosed() {
        return handle.isClosed();
    }

    /** Frees the KV cache and compute buffers; a second call does nothing. */
    @Override
    public void close() {
        handle.close();
    }
}
