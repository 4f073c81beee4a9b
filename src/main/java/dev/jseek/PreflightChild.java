package dev.jseek;

import dev.jseek.bindings.llama.llama_context_params;
import dev.jseek.bindings.llama.llama_h;
import dev.jseek.bindings.llama.llama_model_params;
import dev.jseek.internal.LlamaLog;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * The child side of {@link Preflight}: a dry run of the load, in which llama.cpp reads the file's metadata and
 * tensor table, loads the vocabulary, makes every weight tensor with the shapes it checks, and then builds and
 * schedules the worst-case prompt and generation graphs of a small context, without reading or allocating a
 * single weight (llama.cpp's {@code no_alloc}, which its own {@code --fit} uses to size models). Those are the
 * places where a file that disagrees with itself makes llama.cpp abort (GGML_ASSERT in the loader, the vocabulary
 * or graph building, a division by zero); a short text is also tokenized and turned back into pieces. The child
 * needs the metadata in memory, not the weights: it costs about as much for a 400 GB file as for a small one.
 *
 * <p>Not API; started by the runtime as {@code java -cp … dev.jseek.PreflightChild [--no-java-checks] MODEL}.
 * {@code --no-java-checks} skips jseek's own validation, so tests can show that what it misses stays in the child.
 */
public final class PreflightChild {
    // the context the graphs are built for: its size changes only the (unallocated) KV cache, not the graph's ops
    private static final int CONTEXT = 64;
    private static final String SAMPLE_TEXT = "Hello, world! 1234 <think>ünïcödé 你好</think>";

    private PreflightChild() {
    }

    public static void main(String[] args) {
        boolean javaChecks = !args[0].equals("--no-java-checks");
        Path path = Path.of(args[args.length - 1]);
        int code;
        try {
            if (javaChecks) {
                ModelFiles.requireReadable(path);
                ModelFiles.readChecked(path);
            }
            dryRun(path, Backend.get());
            peakRss().ifPresent(bytes -> System.out.println(Preflight.PEAK_RSS + bytes));
            code = Preflight.EXIT_OK;
        } catch (RuntimeException e) {
            System.err.println(e.getMessage());
            code = Preflight.EXIT_LOAD_FAILED;
        }
        System.exit(code);
    }

    /** Loads, builds the graphs and tokenizes with no weight read; throws a ModelLoadException for a clean refusal. */
    static void dryRun(Path path, Backend backend) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment p = llama_h.llama_model_default_params(arena);
            llama_model_params.n_gpu_layers(p, 0);
            // an empty, NULL-terminated device list: the CPU only, no GPU driver started for a dry run
            llama_model_params.devices(p, arena.allocate(ValueLayout.ADDRESS));
            // llama.cpp maps nothing with no_alloc (it asserts as much), as in its own --fit pass
            llama_model_params.load_mode(p, llama_h.LLAMA_LOAD_MODE_NONE());
            llama_model_params.use_extra_bufts(p, false);
            llama_model_params.no_alloc(p, true);
            LlamaLog.clearErrors();
            MemorySegment model = llama_h.llama_model_load_from_file(arena.allocateFrom(path.toString()), p);
            if (model.equals(MemorySegment.NULL)) {
                throw refused("Cannot load model " + path);
            }
            try {
                MemorySegment c = llama_h.llama_context_default_params(arena);
                llama_context_params.n_ctx(c, CONTEXT);
                llama_context_params.n_batch(c, CONTEXT);
                llama_context_params.n_ubatch(c, CONTEXT);
                llama_context_params.n_threads(c, 1);
                llama_context_params.n_threads_batch(c, 1);
                MemorySegment context = llama_h.llama_init_from_model(model, c);
                if (context.equals(MemorySegment.NULL)) {
                    throw refused("Cannot create a context for " + path);
                }
                llama_h.llama_free(context);
                tokenize(llama_h.llama_model_get_vocab(model), arena);
            } finally {
                llama_h.llama_model_free(model);
            }
        }
    }

    private static void tokenize(MemorySegment vocab, Arena arena) {
        byte[] utf8 = SAMPLE_TEXT.getBytes(StandardCharsets.UTF_8);
        MemorySegment text = arena.allocateFrom(ValueLayout.JAVA_BYTE, utf8);
        int capacity = utf8.length + 8; // at most one token per byte, plus BOS/EOS
        MemorySegment tokens = arena.allocate(ValueLayout.JAVA_INT, capacity);
        int n = llama_h.llama_tokenize(vocab, text, utf8.length, tokens, capacity, true, true);
        MemorySegment piece = arena.allocate(256);
        for (int i = 0; i < n; i++) {
            llama_h.llama_token_to_piece(vocab, tokens.getAtIndex(ValueLayout.JAVA_INT, i), piece, (int) piece.byteSize(), 0, true);
        }
    }

    /** VmHWM from /proc/self/status (Linux): the most memory this process had resident at once. */
    static OptionalLong peakRss() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return OptionalLong.of(Long.parseLong(line.replaceAll("\\D", "")) * 1024);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux: nothing to report
        }
        return OptionalLong.empty();
    }

    private static ModelLoadException refused(String what) {
        String reason = LlamaLog.recentErrors();
        return new ModelLoadException(what + ": " + (reason.isEmpty() ? "llama.cpp gave no reason" : reason));
    }
}
