package dev.jseek;

import dev.jseek.internal.LlamaLog;
import dev.jseek.internal.ChatBridge;
import dev.jseek.internal.NativeHandle;

import dev.jseek.bindings.llama.llama_h;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufFormatException;
import dev.jseek.models.ModelFacts;
import dev.jseek.bindings.llama.llama_model_params;
import dev.jseek.bindings.llama.llama_model_tensor_buft_override;
import dev.jseek.bindings.llama.llama_progress_callback;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A loaded GGUF model (llama_model). Immutable once loaded and safe to share between threads; each
 * conversation gets its own {@link Context}. Closing the model first closes every context and sampler made from
 * it (each waits for a native call in progress), so nothing made from a model can outlive its memory.
 */
public final class Model implements AutoCloseable {
    static {
        ChatBridge.registerModelLeases(m -> ((Model) m).lease()); // the chat layer's templates need the pointer
    }

    private final NativeHandle handle;
    private final Path path;
    /** What it was loaded with: a context's memory is measured with the same placement ({@link ContextFit}). */
    private final ModelParams params;
    /** The file's facts as jseek reads them (null where it cannot): {@link ContextFit}'s cheap bound. */
    private final ModelFacts facts;
    private final Vocab vocab;
    /** Open contexts and samplers: closed before the weights are freed. */
    private final Set<AutoCloseable> children = ConcurrentHashMap.newKeySet();

    private Model(MemorySegment model, Path path, ModelParams params, ModelFacts facts) {
        this.handle = new NativeHandle("model " + path.getFileName(), model, llama_h::llama_model_free);
        this.path = path;
        this.params = params.withProgress(null);
        this.facts = facts;
        this.vocab = new Vocab(this, llama_h.llama_model_get_vocab(model));
    }

    /**
     * Loads a GGUF file (the first part, for split files); fails with a sentence naming the file and the reason.
     * Before llama.cpp sees the file, jseek validates its header, tensor table and architecture in Java, refuses a
     * CPU-only model larger than the available memory, and test-loads a file not seen before in a child process
     * ({@link ModelParams#preflight()}), so a file that would crash llama.cpp cannot take this process down.
     */
    public static Model load(Path path, ModelParams params) {
        ModelFiles.requireReadable(path);
        GgufFile file = ModelFiles.readChecked(path);
        MemoryCheck.require(file, params, SystemMemory.availableBytes());
        Backend backend = Backend.get();
        if (params.preflight()) {
            Preflight.check(path, backend);
        }
        return loadNative(path, params, backend, facts(file));
    }

    private static ModelFacts facts(GgufFile file) {
        try {
            return ModelFacts.of(file);
        } catch (GgufFormatException e) {
            return null; // then every context is measured
        }
    }

    /** The native load alone, after the checks above. */
    private static Model loadNative(Path path, ModelParams params, Backend backend, ModelFacts facts) {
        params.rpcServers().forEach(backend::addRpcServer);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = nativeParams(params, backend, arena);
            ProgressRelay relay = params.progress() == null ? null : new ProgressRelay(params.progress());
            if (relay != null) {
                llama_model_params.progress_callback(p, llama_progress_callback.allocate(relay::onProgress, arena));
            }
            LlamaLog.clearErrors();
            MemorySegment model = llama_h.llama_model_load_from_file(arena.allocateFrom(path.toString()), p);
            if (model.equals(MemorySegment.NULL)) {
                if (relay != null && relay.cancelled) {
                    throw new ModelLoadException("Loading " + path + " was cancelled.");
                }
                String reason = LlamaLog.recentErrors();
                throw new ModelLoadException("Cannot load model " + path + ": "
                        + (reason.isEmpty() ? "llama.cpp gave no reason (run with --verbose)" : reason));
            }
            return new Model(model, path, params, facts);
        }
    }

    /** llama_model_params for these settings (no progress callback); also what {@link MemoryEstimate} measures. */
    static MemorySegment nativeParams(ModelParams params, Backend backend, Arena arena) {
        MemorySegment p = llama_h.llama_model_default_params(arena);
        llama_model_params.n_gpu_layers(p, params.gpuLayers());
        llama_model_params.load_mode(p, loadMode(params));
        MemorySegment devices = backend.offloadDevices(params.rpcServers(), arena);
        if (devices != null) {
            llama_model_params.devices(p, devices);
        }
        if (!params.placements().isEmpty()) {
            llama_model_params.tensor_buft_overrides(p, placements(params.placements(), backend, arena));
        }
        return p;
    }

    /** llama.cpp's NULL-terminated override array; the strings live in the load's arena, as long as the load. */
    private static MemorySegment placements(List<TensorPlacement> placements, Backend backend, Arena arena) {
        MemorySegment array = llama_model_tensor_buft_override.allocateArray(placements.size() + 1, arena); // zeroed: the last is {NULL, NULL}
        for (int i = 0; i < placements.size(); i++) {
            MemorySegment entry = llama_model_tensor_buft_override.asSlice(array, i);
            llama_model_tensor_buft_override.pattern(entry, arena.allocateFrom(placements.get(i).pattern()));
            llama_model_tensor_buft_override.buft(entry, backend.bufferType(placements.get(i).device()));
        }
        return array;
    }

    private static int loadMode(ModelParams params) {
        if (params.useMmap()) {
            return params.useMlock() ? llama_h.LLAMA_LOAD_MODE_MMAP_MLOCK() : llama_h.LLAMA_LOAD_MODE_MMAP();
        }
        return params.useMlock() ? llama_h.LLAMA_LOAD_MODE_MLOCK() : llama_h.LLAMA_LOAD_MODE_NONE();
    }

    /** Bridges llama.cpp's progress upcall to the listener; nothing may escape an upcall. */
    private static final class ProgressRelay {
        private final ModelParams.LoadProgress listener;
        volatile boolean cancelled;

        ProgressRelay(ModelParams.LoadProgress listener) {
            this.listener = listener;
        }

        boolean onProgress(float fraction, MemorySegment userData) {
            try {
                cancelled = !listener.onProgress(fraction);
            } catch (Throwable t) {
                LlamaLog.LOGGER.log(System.Logger.Level.WARNING, "load progress listener failed; loading goes on", t);
                cancelled = false;
            }
            return !cancelled;
        }
    }

    public Path path() {
        return path;
    }

    public Vocab vocab() {
        return vocab;
    }

    /**
     * Creates a context (KV cache and compute buffers) for this model. A context that cannot fit in the memory its
     * devices have free is refused first, with a {@link ContextSizeException} naming the largest that fits (unless
     * the model was loaded with {@link ModelParams#withMemoryCheck} off).
     */
    public Context newContext(ContextParams params) {
        if (this.params.checkMemory()) {
            ContextFit.require(path, this.params, params, trainedContextLength(), facts);
        }
        return new Context(this, params);
    }

    /** llama.cpp's one-line description, e.g. "deepseek2 16B Q4_K - Medium". */
    public String description() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(256);
            int n = use(m -> llama_h.llama_model_desc(m, buf, buf.byteSize()));
            return n < 0 ? "" : buf.getString(0);
        }
    }

    public long parameterCount() {
        return use(llama_h::llama_model_n_params);
    }

    /** Bytes of all weights. */
    public long sizeBytes() {
        return use(llama_h::llama_model_size);
    }

    public int trainedContextLength() {
        return use(llama_h::llama_model_n_ctx_train);
    }

    public int layerCount() {
        return use(llama_h::llama_model_n_layer);
    }

    public int embeddingLength() {
        return use(llama_h::llama_model_n_embd);
    }

    /** A metadata value as text (numbers formatted by llama.cpp), if the GGUF has the key. */
    public Optional<String> metadata(String key) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment k = arena.allocateFrom(key);
            return use(m -> {
                int n = llama_h.llama_model_meta_val_str(m, k, MemorySegment.NULL, 0);
                if (n < 0) {
                    return Optional.<String>empty();
                }
                MemorySegment buf = arena.allocate(n + 1L);
                llama_h.llama_model_meta_val_str(m, k, buf, buf.byteSize());
                return Optional.of(buf.getString(0));
            });
        }
    }

    /** The chat template stored in the GGUF (tokenizer.chat_template), if any. */
    public Optional<String> chatTemplate() {
        return use(m -> {
            MemorySegment t = llama_h.llama_model_chat_template(m, MemorySegment.NULL);
            return t.equals(MemorySegment.NULL) ? Optional.<String>empty() : Optional.of(t.reinterpret(Long.MAX_VALUE).getString(0));
        });
    }

    /** Runs a native call on the model; any number at once, and close() waits for them. */
    <T> T use(Function<MemorySegment, T> action) {
        return handle.shared(action);
    }

    /** Holds the model open across several statements (see {@link NativeHandle#lease()}). */
    NativeHandle.Lease lease() {
        return handle.lease();
    }

    /**
     * Registers something that must be closed before the weights are freed. Call it under a {@link #lease()} or
     * {@link #use}: {@link #close()} takes its snapshot of the children only once no lease is held, so nothing
     * registered can be missed, and nothing can register after.
     */
    void adopt(AutoCloseable child) {
        children.add(child);
    }

    void release(AutoCloseable child) {
        children.remove(child);
    }

    public boolean isClosed() {
        return handle.isClosed();
    }

    /**
     * Waits for native calls on the model in progress, closes every context and sampler made from it (each waiting
     * for its own call in progress), then frees the weights; a second call does nothing.
     */
    @Override
    public void close() {
        handle.close(() -> {
            for (AutoCloseable child : List.copyOf(children)) {
                try {
                    child.close();
                } catch (Exception e) {
                    LlamaLog.LOGGER.log(System.Logger.Level.WARNING, "closing " + child + " failed", e);
                }
            }
        });
    }

    @Override
    public String toString() {
        return "Model[" + path + (isClosed() ? ", closed" : "") + "]";
    }
}
