package dev.jseek;

import dev.jseek.models.ModelFacts;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * Refuses, before llama.cpp allocates it, a context whose KV cache and compute buffers do not fit in the memory
 * each device has free, and names the largest context that would. The bytes are llama.cpp's own
 * ({@link MemoryEstimate}: a metadata-only load of the model and the context); the budget is, per device, what it
 * reports free after the model's weights are in place, and for system memory Linux's MemAvailable (ggml reports
 * all of a machine's RAM as free).
 * <p>
 * The estimate builds the KV cache's cell bookkeeping for real (52 bytes a cell, host memory: position, 2-D position
 * and token, shift, and a 256-bit sequence set; llama-kv-cells.h), which for {@code -c 999999999} alone would take
 * 52 GB. So a context above {@link #MEASURED_UP_TO} tokens is never measured at its size: it is measured at two
 * smaller sizes and projected along the line through them, which is exact for every cache llama.cpp builds once the
 * context is past a sliding window (the KV cache, the compute buffers' attention rows and the bookkeeping all grow by
 * the same bytes per token).
 */
final class ContextFit {
    /** The largest context measured directly: 52 MB of cell bookkeeping while the measurement lasts. */
    static final int MEASURED_UP_TO = 1 << 20;
    /** llama.cpp rounds a context up to a multiple of this (llama-context.cpp). */
    static final int PAD = 256;
    /** Host bytes per KV cell that the estimate does not report (llama_kv_cells: pos, ext, shift, seq). */
    static final long CELL_BYTES = 4 + 12 + 4 + 256 / 8;

    private ContextFit() {
    }

    /** What one context size needs from each device, and what each has. */
    record Need(int contextSize, List<Budgeted> devices) {
        boolean fits() {
            return devices.stream().allMatch(Budgeted::fits);
        }

        Budgeted worst() {
            return devices.stream().filter(d -> !d.fits()).findFirst().orElseThrow();
        }
    }

    /** One device: bytes the context needs there, and bytes free there (negative: unknown, never refused). */
    record Budgeted(String name, long need, long free) {
        boolean fits() {
            return free < 0 || need <= free;
        }
    }

    /**
     * Throws {@link ContextSizeException} when a context of these settings cannot fit beside {@code modelPath}'s
     * weights, already loaded with {@code modelParams}; does nothing when it fits or cannot be measured (an older
     * native build, a file llama.cpp cannot measure: the context creation then speaks for itself).
     *
     * @param trainedLength the model's trained context length, which a context size of 0 stands for
     */
    static void require(Path modelPath, ModelParams modelParams, ContextParams params, int trainedLength, ModelFacts facts) {
        OptionalLong available = SystemMemory.availableBytes();
        int size = params.contextSize() == 0 ? trainedLength : params.contextSize();
        if (clearlyFits(modelParams, params, size, facts, available)) {
            return;
        }
        require(modelPath, modelParams, params, trainedLength, available);
    }

    /**
     * The shortcut that keeps an ordinary start cheap (the estimate loads the model's metadata and vocabulary again:
     * about as long as the load's own metadata part). For a load in system memory only, with a KV cache jseek can
     * count (ModelFacts: every architecture but V4's), a bound far above what llama.cpp allocates: the F16 KV cache
     * twice (an F32 cache), the cells' bookkeeping, attention scores for every head without flash attention
     * (heads × micro-batch × 4 bytes a token), the logits of two micro-batches and {@link
     * ModelFacts#COMPUTE_ALLOWANCE_BYTES}. When that bound is under half of the available memory, the context fits
     * and is not measured.
     */
    static boolean clearlyFits(ModelParams modelParams, ContextParams params, int size, ModelFacts facts, OptionalLong available) {
        if (facts == null || !facts.kvEstimated() || available.isEmpty() || modelParams.gpuLayers() != 0
                || !modelParams.rpcServers().isEmpty() || !modelParams.placements().isEmpty()) {
            return false;
        }
        long ubatch = Math.min(params.microBatch(), params.batchSize());
        long tokens = (long) size + (long) PAD * params.sequences();
        long perToken = 2 * facts.kvBytesPerToken() + CELL_BYTES + (long) facts.heads() * ubatch * Float.BYTES;
        long bound = tokens * perToken + 2 * ubatch * facts.vocabularySize() * Float.BYTES + ModelFacts.COMPUTE_ALLOWANCE_BYTES;
        return bound <= available.getAsLong() / 2;
    }

    /** Estimates made so far in this process (tests: an ordinary start makes none). */
    static final java.util.concurrent.atomic.AtomicInteger MEASUREMENTS = new java.util.concurrent.atomic.AtomicInteger();

    /** As above without the shortcut, with the system memory available given (tests). */
    static void require(Path modelPath, ModelParams modelParams, ContextParams params, int trainedLength, OptionalLong hostAvailable) {
        if (!modelParams.checkMemory() || !MemoryEstimate.available()) {
            return;
        }
        int size = params.contextSize() == 0 ? trainedLength : params.contextSize();
        Measure measure = new Measure(modelPath, modelParams, params, hostAvailable);
        Need requested;
        int largest;
        try {
            requested = measure.need(size);
            if (requested.fits()) {
                return;
            }
            largest = measure.largestFitting(requested);
        } catch (JseekException e) {
            return; // llama.cpp could not measure it: creating the context reports the real reason
        }
        Budgeted tight = requested.worst();
        boolean host = tight.name().equals("host");
        throw new ContextSizeException("A context of " + size + " tokens"
                + (params.sequences() > 1 ? " (" + params.sequences() + " sequences)" : "") + " needs "
                + ModelFacts.humanBytes(tight.need()) + " of " + (host ? "system memory" : tight.name())
                + " for its KV cache and compute buffers, but " + ModelFacts.humanBytes(tight.free())
                + (host ? " is available" : " is free")
                + (largest >= PAD ? "; the largest that fits is " + largest + " tokens (-c " + largest + ")"
                        : "; not even " + PAD + " tokens fit beside the weights, so free memory or offload fewer layers there")
                + ".", largest);
    }

    /** Estimates at chosen context sizes, with the other settings fixed. */
    private static final class Measure {
        private final Path path;
        private final ModelParams modelParams;
        private final ContextParams params;
        private final OptionalLong hostAvailable;
        private final java.util.Map<Integer, Need> measured = new java.util.HashMap<>();

        Measure(Path path, ModelParams modelParams, ContextParams params, OptionalLong hostAvailable) {
            this.path = path;
            this.modelParams = modelParams;
            this.params = params;
            this.hostAvailable = hostAvailable;
        }

        /** The need at {@code n} tokens, measured, or projected above MEASURED_UP_TO. */
        Need need(int n) {
            if (n > MEASURED_UP_TO) {
                Need a = measured(MEASURED_UP_TO / 2);
                Need b = measured(MEASURED_UP_TO);
                return project(a, b, n);
            }
            return measured(n);
        }

        private Need measured(int n) {
            return measured.computeIfAbsent(n, this::measure);
        }

        private Need measure(int n) {
            MEASUREMENTS.incrementAndGet();
            MemoryEstimate e = MemoryEstimate.measureLoaded(path, modelParams, params.withContextSize(n));
            int cells = roundUp(n);
            List<Budgeted> devices = new ArrayList<>();
            for (MemoryEstimate.Device d : e.devices()) {
                long need = d.context() + d.compute() + (d.host() ? CELL_BYTES * cells : 0);
                long free = d.host() ? hostAvailable.orElse(-1) : d.free() > 0 ? d.free() : -1;
                devices.add(new Budgeted(d.name(), need, free));
            }
            return new Need(n, devices);
        }

        /** The line through two measurements, evaluated at {@code n}. */
        private static Need project(Need a, Need b, int n) {
            List<Budgeted> devices = new ArrayList<>();
            for (int i = 0; i < b.devices().size(); i++) {
                Budgeted da = a.devices().get(i);
                Budgeted db = b.devices().get(i);
                double slope = (db.need() - da.need()) / (double) (b.contextSize() - a.contextSize());
                long need = db.need() + (long) Math.ceil(slope * ((long) n - b.contextSize()));
                devices.add(new Budgeted(db.name(), need, db.free()));
            }
            return new Need(n, devices);
        }

        /**
         * The largest multiple of {@link #PAD} tokens below {@code tooLarge} that fits (0 if none does). The need is
         * not one line from 0: below some size the compute buffers are set by the batch (the logits of a micro-batch),
         * above it by the context. So the line is drawn through two sizes near the top (half of it and itself, or the
         * two largest measured ones), where it holds. Above MEASURED_UP_TO the line's answer is the answer; within
         * it, the answer is measured, with the size above it (usually two measurements settle it), and searched by
         * halving where the line was off.
         */
        int largestFitting(Need tooLarge) {
            int top = tooLarge.contextSize();
            if (top <= PAD) {
                return 0;
            }
            Need high = top > MEASURED_UP_TO ? measured(MEASURED_UP_TO) : tooLarge;
            Need low = measured(Math.max(PAD, high.contextSize() / 2 / PAD * PAD));
            long line = Long.MAX_VALUE;
            for (int i = 0; i < high.devices().size(); i++) {
                Budgeted l = low.devices().get(i);
                Budgeted h = high.devices().get(i);
                double slope = (h.need() - l.need()) / (double) (high.contextSize() - low.contextSize());
                if (h.free() >= 0 && slope > 0) {
                    line = Math.min(line, (long) Math.floor(high.contextSize() + (h.free() - h.need()) / slope));
                }
            }
            int fit = (int) (Math.max(0, Math.min(top - 1L, line)) / PAD * PAD);
            if (fit > MEASURED_UP_TO) {
                return fit;
            }
            // the need grows with the size: bracket the answer between a size that fits and one that does not,
            // starting from the line's (usually exact: then two measurements settle it)
            int lo;
            int hi;
            if (fit >= PAD && measured(fit).fits()) {
                lo = fit;
                hi = Math.min(top, fit + PAD);
                if (hi < top && measured(hi).fits()) {
                    lo = hi;
                    hi = top;
                }
            } else if (measured(PAD).fits()) {
                lo = PAD;
                hi = fit >= PAD ? fit : top;
            } else {
                return 0;
            }
            while (hi - lo > PAD) {
                int mid = Math.max(lo + PAD, (lo + hi) / 2 / PAD * PAD);
                if (measured(mid).fits()) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }

        private static int roundUp(int n) {
            return (int) Math.min(Integer.MAX_VALUE, ((long) n + PAD - 1) / PAD * PAD);
        }
    }
}
