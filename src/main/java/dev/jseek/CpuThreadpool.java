package dev.jseek;

import dev.jseek.bindings.llama.llama_h;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * A ggml CPU thread pool that lives as long as its context, as llama-bench and llama.cpp's CLI tools attach one.
 * Without it ggml makes a throwaway pool for every graph, starting and joining its threads on every decode: on a
 * small model that cost about 5 % of generation speed against llama-bench.
 *
 * <p>The pool functions live in the CPU backend module that ggml picks at run time (GGML_BACKEND_DL), so they are
 * reached as llama-bench reaches them, through {@code ggml_backend_reg_get_proc_address}; a function pointer found
 * at run time has no jextract binding, so the two downcalls are written out here. The parameter struct is only
 * filled and read by ggml ({@code ggml_threadpool_params_init}: llama-bench's defaults, polling level 50), so
 * jseek needs only room for it.
 */
final class CpuThreadpool {
    // struct ggml_threadpool_params: a 512-entry cpumask and five small fields, about 530 bytes
    private static final long PARAMS_BYTES = 4096;
    private static final Linker LINKER = Linker.nativeLinker();

    private CpuThreadpool() {
    }

    /** A new pool of {@code threads} threads, or empty where this build has none (then ggml's per-graph pool is used). */
    static Optional<NativeHandle> create(int threads) {
        if ("off".equalsIgnoreCase(System.getProperty("jseek.threadpool"))) {
            return Optional.empty(); // -Djseek.threadpool=off: ggml's per-graph pool, for comparisons
        }
        Optional<MemorySegment> init = SymbolLookup.loaderLookup().find("ggml_threadpool_params_init");
        MemorySegment newPool;
        MemorySegment freePool;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cpu = llama_h.ggml_backend_reg_by_name(arena.allocateFrom("CPU"));
            if (init.isEmpty() || cpu.equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            newPool = llama_h.ggml_backend_reg_get_proc_address(cpu, arena.allocateFrom("ggml_threadpool_new"));
            freePool = llama_h.ggml_backend_reg_get_proc_address(cpu, arena.allocateFrom("ggml_threadpool_free"));
            if (newPool.equals(MemorySegment.NULL) || freePool.equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            MemorySegment params = arena.allocate(PARAMS_BYTES, 64);
            MethodHandle initParams = LINKER.downcallHandle(init.get(),
                    FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            MethodHandle create = LINKER.downcallHandle(newPool, FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            initParams.invokeExact(params, threads);
            MemorySegment pool = (MemorySegment) create.invokeExact(params);
            if (pool.equals(MemorySegment.NULL)) {
                return Optional.empty();
            }
            MethodHandle free = LINKER.downcallHandle(freePool, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
            return Optional.of(new NativeHandle("CPU thread pool", pool, p -> {
                try {
                    free.invokeExact(p);
                } catch (Throwable e) {
                    throw new IllegalStateException("ggml_threadpool_free failed", e);
                }
            }));
        } catch (Throwable e) {
            throw new NativeLibraryException("Cannot create a CPU thread pool of " + threads + " threads: " + e, e);
        }
    }
}
