package dev.jseek;

import dev.jseek.internal.LlamaLog;

import dev.jseek.bindings.llama.llama_h;
import dev.jseek.bindings.llama.llama_model_quantize_params;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.function.DoubleConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Quantizes a GGUF model through llama.cpp's own quantizer (what llama-quantize runs). */
public final class ModelQuantizer {
    /** llama.cpp logs "[  12/  52] blk.0.attn_q.weight …" per tensor: the only progress it reports. */
    private static final Pattern TENSOR_LINE = Pattern.compile("^\\[\\s*(\\d+)/\\s*(\\d+)]");

    private ModelQuantizer() {
    }

    /**
     * Writes {@code output} as {@code input} quantized to {@code type}; the output appears only when complete.
     *
     * @param threads  CPU threads; 0 = all
     * @param progress told the fraction of tensors done (0..1), on this thread
     */
    public static void quantize(Path input, Path output, QuantType type, int threads, DoubleConsumer progress) {
        ModelFiles.requireReadable(input);
        if (type.needsImportanceMatrix()) {
            throw new IllegalArgumentException(type + " needs an importance matrix, which jseek does not make yet; choose Q2_K, Q3_K_M or larger");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be 0 (all) or positive, not " + threads);
        }
        try {
            if (Files.exists(output) && Files.isSameFile(input, output)) {
                throw new IllegalArgumentException("the output " + output + " is the input; write the quantized model to another file");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Backend.get();
        Path partial = output.resolveSibling(output.getFileName() + ".partial");
        int[] rc = {0};
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment params = llama_h.llama_model_quantize_default_params(arena);
            llama_model_quantize_params.ftype(params, type.ftype());
            llama_model_quantize_params.nthread(params, threads);
            MemorySegment in = arena.allocateFrom(input.toString());
            MemorySegment out = arena.allocateFrom(partial.toString());
            LlamaLog.clearErrors();
            LlamaLog.withLineListener(line -> {
                Matcher m = TENSOR_LINE.matcher(line);
                if (m.find()) {
                    progress.accept(Double.parseDouble(m.group(1)) / Double.parseDouble(m.group(2)));
                }
            }, () -> rc[0] = llama_h.llama_model_quantize(in, out, params));
        }
        try {
            if (rc[0] != 0) {
                Files.deleteIfExists(partial);
                String reason = LlamaLog.recentErrors();
                throw new JseekException("Quantizing " + input + " to " + type + " failed"
                        + (reason.isEmpty() ? "" : ": " + reason) + ".");
            }
            Files.move(partial, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + output + ": " + e.getMessage(), e);
        }
        progress.accept(1.0);
    }
}
