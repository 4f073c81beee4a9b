package dev.jseek;

import dev.jseek.bindings.llama.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The process-wide llama.cpp runtime: loads the libraries, routes their log, loads the backend modules
 * (CPU variants, CUDA, Metal, RPC) and initialises llama.cpp — once, on first use by any handle.
 */
public final class Backend {
    private static volatile Backend instance;

    private final Path libraryDir;

    private Backend(Path libraryDir) {
        this.libraryDir = libraryDir;
    }

    /** Initialises llama.cpp if that has not happened yet; safe to call from any thread, any number of times. */
    public static Backend get() {
        Backend b = instance;
        if (b == null) {
            synchronized (Backend.class) {
                b = instance;
                if (b == null) {
                    b = instance = start();
                }
            }
        }
        return b;
    }

    private static Backend start() {
        Path dir = NativeLibraries.load();
        LlamaLog.install();
        try (Arena arena = Arena.ofConfined()) {
            // Backend modules are looked up beside the executable by default, which for us is `java`.
            llama_h.ggml_backend_load_all_from_path(arena.allocateFrom(dir.toAbsolutePath().toString()));
        }
        llama_h.llama_backend_init();
        return new Backend(dir);
    }

    /** Directory the llama.cpp libraries were loaded from (a native/build.sh cache entry, usually). */
    public Path libraryDir() {
        return libraryDir;
    }

    /** The llama.cpp release these libraries were built from (the pinned one). */
    public String llamaVersion() {
        return NativeLibraries.pinnedVersion();
    }

    /** llama.cpp's description of the CPU features and backends in use. */
    public String systemInfo() {
        return llama_h.llama_print_system_info().getString(0);
    }

    /** The compute devices the loaded backends offer (CPU always; GPUs and RPC servers when present). */
    public List<Device> devices() {
        long count = llama_h.ggml_backend_dev_count();
        List<Device> devices = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(llama_h.C_LONG);
            MemorySegment total = arena.allocate(llama_h.C_LONG);
            for (long i = 0; i < count; i++) {
                MemorySegment dev = llama_h.ggml_backend_dev_get(i);
                llama_h.ggml_backend_dev_memory(dev, free, total);
                devices.add(new Device(
                        llama_h.ggml_backend_dev_name(dev).getString(0),
                        llama_h.ggml_backend_dev_description(dev).getString(0),
                        Device.Type.of(llama_h.ggml_backend_dev_type(dev)),
                        free.get(llama_h.C_LONG, 0), total.get(llama_h.C_LONG, 0)));
            }
        }
        return List.copyOf(devices);
    }

    /** Whether this build can offload layers to a GPU. */
    public boolean supportsGpuOffload() {
        return llama_h.llama_supports_gpu_offload();
    }

    /** A compute device: memory figures are bytes as reported by its backend. */
    public record Device(String name, String description, Type type, long freeBytes, long totalBytes) {
        public enum Type {
            CPU, GPU, IGPU, ACCEL, META, OTHER;

            static Type of(int ggmlType) {
                if (ggmlType == llama_h.GGML_BACKEND_DEVICE_TYPE_CPU()) return CPU;
                if (ggmlType == llama_h.GGML_BACKEND_DEVICE_TYPE_GPU()) return GPU;
                if (ggmlType == llama_h.GGML_BACKEND_DEVICE_TYPE_IGPU()) return IGPU;
                if (ggmlType == llama_h.GGML_BACKEND_DEVICE_TYPE_ACCEL()) return ACCEL;
                if (ggmlType == llama_h.GGML_BACKEND_DEVICE_TYPE_META()) return META;
                return OTHER;
            }
        }
    }
}
