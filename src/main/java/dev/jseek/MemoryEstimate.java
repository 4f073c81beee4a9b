package dev.jseek;

import dev.jseek.internal.LlamaLog;

import dev.jseek.bindings.llama.llama_h;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What llama.cpp itself would allocate for a model and a context, per device: it loads both with
 * {@code no_alloc} (metadata only; nothing is allocated and no weight is read) and reports the buffers it would
 * make — llama.cpp's common/fit code, the same that sizes {@code llama-server --fit}. It covers every
 * architecture's caches as llama.cpp builds them (V3.2's indexer cache, V4's compressed and windowed cache),
 * so jseek needs no formula of its own for them.
 *
 * @param devices each device the model would use, the host (system memory) last
 */
public record MemoryEstimate(List<Device> devices) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public MemoryEstimate {
        devices = List.copyOf(devices);
    }

    /**
     * Bytes on one device.
     *
     * @param name    the backend device's name, or "host"
     * @param model   weights
     * @param context KV cache (and other per-context state)
     * @param compute compute buffers
     * @param free    what the device reports free now (0 when it reports nothing); for the host, ggml reports all of
     *                its memory as free, so {@link SystemMemory} is the figure to use there
     */
    public record Device(String name, long model, long context, long compute, long free) {
        /** The entry for system memory (host buffers, and everything of a CPU-only load). */
        public boolean host() {
            return name.equals("host");
        }

        public long total() {
            return model + context + compute;
        }
    }

    /** Everything on every device. */
    public long totalBytes() {
        return devices.stream().mapToLong(Device::total).sum();
    }

    /** The KV cache (and other context state) on every device. */
    public long contextBytes() {
        return devices.stream().mapToLong(Device::context).sum();
    }

    /** The compute buffers on every device. */
    public long computeBytes() {
        return devices.stream().mapToLong(Device::compute).sum();
    }

    /** The weights on every device. */
    public long modelBytes() {
        return devices.stream().mapToLong(Device::model).sum();
    }

    /**
     * Measures a model file (checked by jseek's GGUF reader and architecture checks first, as a load is) at these
     * settings. Takes about as long as reading the file's metadata.
     *
     * @throws JseekException naming the file and llama.cpp's reason when it cannot be measured
     */
    public static MemoryEstimate measure(Path path, ModelParams modelParams, ContextParams contextParams) {
        ModelFiles.requireReadable(path);
        ModelFiles.readChecked(path);
        return measureLoaded(path, modelParams, contextParams);
    }

    /**
     * As {@link #measure}, for a file this process has loaded (so jseek's checks of it have passed): without reading
     * its metadata in Java again.
     */
    static MemoryEstimate measureLoaded(Path path, ModelParams modelParams, ContextParams contextParams) {
        // llama.cpp's measurement swaps the process's log callback while it runs: one at a time
        synchronized (MemoryEstimate.class) {
            return measureAlone(path, modelParams, contextParams);
        }
    }

    /** Whether this build has jseek's bridge to the fit code (libjseek-common), so that {@link #measure} can work. */
    static boolean available() {
        Backend.get();
        return SymbolLookup.loaderLookup().find("jseek_fit_measure").isPresent();
    }

    private static MemoryEstimate measureAlone(Path path, ModelParams modelParams, ContextParams contextParams) {
        Backend backend = Backend.get();
        if (SymbolLookup.loaderLookup().find("jseek_fit_measure").isEmpty()) {
            throw new JseekException("jseek's bridge to llama.cpp's common library (libjseek-common) is not in "
                    + backend.libraryDir() + "; run native/build.sh, which builds it beside the llama.cpp libraries.");
        }
        String result;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mp = Model.nativeParams(modelParams, backend, arena);
            MemorySegment cp = Context.nativeParams(contextParams, arena);
            LlamaLog.clearErrors();
            MemorySegment out = llama_h.jseek_fit_measure(arena.allocateFrom(path.toString()), mp, cp);
            if (out.equals(MemorySegment.NULL)) {
                throw new OutOfMemoryError("jseek's bridge could not allocate its result");
            }
            try {
                result = out.reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
            } finally {
                llama_h.jseek_chat_string_free(out);
            }
        }
        JsonNode root;
        try {
            root = JSON.readTree(result);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("jseek's bridge returned bad JSON: " + e.getOriginalMessage(), e);
        }
        if (root.has("error")) {
            String reason = LlamaLog.recentErrors();
            throw new JseekException("llama.cpp cannot measure " + path + ": " + root.get("error").asText()
                    + (reason.isEmpty() ? "" : " (" + reason + ")") + ".");
        }
        List<Device> devices = new ArrayList<>();
        for (JsonNode d : root.path("devices")) {
            devices.add(new Device(d.path("name").asText(), d.path("model").asLong(), d.path("context").asLong(), d.path("compute").asLong(),
                    Math.max(0, d.path("free").asLong())));
        }
        return new MemoryEstimate(devices);
    }
}
