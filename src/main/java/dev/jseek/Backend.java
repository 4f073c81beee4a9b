package dev.jseek;

import dev.jseek.internal.LlamaLog;
import dev.jseek.internal.NativeLibraries;

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
    private final List<UnavailableBackend> unavailable;

    private Backend(Path libraryDir, List<UnavailableBackend> unavailable) {
        this.libraryDir = libraryDir;
        this.unavailable = unavailable;
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

    /** jseek's cache: JSEEK_CACHE, else $XDG_CACHE_HOME/jseek, else $HOME/.cache/jseek (the rule native/build.sh uses). */
    public static Path cacheDirectory() {
        return NativeLibraries.cacheRoot();
    }

    private static Backend start() {
        Path dir;
        try {
            dir = NativeLibraries.load();
        } catch (NativeLibraries.LoadFailure e) {
            throw new NativeLibraryException(e.getMessage(), e.getCause());
        }
        LlamaLog.install();
        List<String> loadLog = new ArrayList<>();
        // ggml says why a GPU module did not load or found no device only in its log: keep those lines
        LlamaLog.withLineListener(loadLog::add, () -> {
            try (Arena arena = Arena.ofConfined()) {
                // Backend modules are looked up beside the executable by default, which for us is `java`.
                llama_h.ggml_backend_load_all_from_path(arena.allocateFrom(dir.toAbsolutePath().toString()));
            }
        });
        // A release build of ggml skips a module that fails to load without a word: load each unregistered GPU module
        // once more on its own, which logs dlopen's reason (and registers it, should it load after all).
        java.util.Map<String, Long> loaded = registeredBackends();
        for (Path module : UnavailableBackend.find(dir, loaded, List.of()).stream()
                .filter(b -> loaded.keySet().stream().noneMatch(b.name()::equalsIgnoreCase)).map(UnavailableBackend::module).toList()) {
            LlamaLog.withLineListener(loadLog::add, () -> {
                try (Arena arena = Arena.ofConfined()) {
                    llama_h.ggml_backend_load(arena.allocateFrom(module.toAbsolutePath().toString()));
                }
            });
        }
        llama_h.llama_backend_init();
        installAbortHandler();
        return new Backend(dir, UnavailableBackend.find(dir, registeredBackends(), loadLog));
    }

    /** Name → device count of each backend ggml registered. */
    private static java.util.Map<String, Long> registeredBackends() {
        java.util.Map<String, Long> regs = new java.util.LinkedHashMap<>();
        for (long i = 0; i < llama_h.ggml_backend_reg_count(); i++) {
            regs.put(llama_h.ggml_backend_reg_name(llama_h.ggml_backend_reg_get(i)).reinterpret(Long.MAX_VALUE).getString(0), 0L);
        }
        // a backend's devices carry its name ("CUDA0", "MTL0")
        for (long i = 0; i < llama_h.ggml_backend_dev_count(); i++) {
            String device = llama_h.ggml_backend_dev_name(llama_h.ggml_backend_dev_get(i)).reinterpret(Long.MAX_VALUE).getString(0);
            regs.replaceAll((name, n) -> !name.isEmpty() && device.startsWith(name) ? n + 1 : n);
        }
        return regs;
    }

    /**
     * GPU backends this build has (their modules lie beside the libraries) that cannot be used on this machine —
     * no driver, no device — each with llama.cpp's reason. ggml then runs everything on the CPU; empty when every
     * built GPU backend found a device.
     */
    public List<UnavailableBackend> unavailableBackends() {
        return unavailable;
    }

    /**
     * Gives ggml the shim's abort handler (native/shim/jseek_abort.c): a lost RPC worker then ends the process with
     * one clear line and exit code 5 instead of SIGABRT and a backtrace. The shim is jseek's own C, so it has no
     * jextract bindings; this one downcall is written out here. Without the shim, ggml's default stays.
     */
    private static void installAbortHandler() {
        var lookup = java.lang.foreign.SymbolLookup.loaderLookup();
        var install = lookup.find("jseek_install_abort_handler");
        var setter = lookup.find("ggml_set_abort_callback");
        if (install.isEmpty() || setter.isEmpty()) {
            return;
        }
        try {
            java.lang.foreign.Linker.nativeLinker()
                    .downcallHandle(install.get(), java.lang.foreign.FunctionDescriptor.ofVoid(java.lang.foreign.ValueLayout.ADDRESS))
                    .invokeExact(setter.get());
        } catch (Throwable e) {
            throw new NativeLibraryException("Cannot install jseek's abort handler from libjseek-shim: " + e, e);
        }
    }

    /** Directory the llama.cpp libraries were loaded from (a native/build.sh cache entry, usually). */
    public Path libraryDir() {
        return libraryDir;
    }

    /** The llama.cpp release these libraries were built from (the pinned one). */
    public String llamaVersion() {
        return NativeLibraries.pinnedVersion();
    }

    /** The llama.cpp release jseek is pinned to, known without loading any library (for version and error reports). */
    public static String pinnedLlamaVersion() {
        return NativeLibraries.pinnedVersion();
    }

    /**
     * The backends this build registered with ggml, in registry order: "CPU" always, then "RPC", "CUDA", "Metal",
     * "BLAS" … as built. A backend with no device here (RPC before any worker is added) is listed too.
     */
    public List<String> backendNames() {
        List<String> names = new ArrayList<>();
        for (long i = 0; i < llama_h.ggml_backend_reg_count(); i++) {
            names.add(llama_h.ggml_backend_reg_name(llama_h.ggml_backend_reg_get(i)).reinterpret(Long.MAX_VALUE).getString(0));
        }
        return List.copyOf(names);
    }

    /** llama.cpp's description of the CPU features and backends in use. */
    public String systemInfo() {
        return llama_h.llama_print_system_info().reinterpret(Long.MAX_VALUE).getString(0);
    }

    /**
     * The compute devices the loaded backends offer (CPU always; GPUs and RPC workers when present), with their
     * memory in bytes (-1 for an RPC worker that no longer answers).
     */
    public List<Device> devices() {
        long count = llama_h.ggml_backend_dev_count();
        List<Device> devices = new ArrayList<>();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(llama_h.C_LONG);
            MemorySegment total = arena.allocate(llama_h.C_LONG);
            for (long i = 0; i < count; i++) {
                MemorySegment dev = llama_h.ggml_backend_dev_get(i);
                String name = llama_h.ggml_backend_dev_name(dev).reinterpret(Long.MAX_VALUE).getString(0);
                String description = llama_h.ggml_backend_dev_description(dev).reinterpret(Long.MAX_VALUE).getString(0);
                // Asking a gone RPC worker makes ggml abort the process: look first, and report unknown memory.
                boolean ask = !name.startsWith("RPC") || isReachable(description);
                if (ask) {
                    llama_h.ggml_backend_dev_memory(dev, free, total);
                }
                devices.add(new Device(name, description, Device.Type.of(llama_h.ggml_backend_dev_type(dev)),
                        ask ? free.get(llama_h.C_LONG, 0) : -1, ask ? total.get(llama_h.C_LONG, 0) : -1));
            }
        }
        return List.copyOf(devices);
    }

    /**
     * Makes an RPC worker's devices available to models loaded from now on (llama.cpp's --rpc). Idempotent per
     * address.
     *
     * @throws JseekException if nothing answers there
     */
    public synchronized void addRpcServer(String hostPort) {
        if (registeredRpc.contains(hostPort)) {
            return;
        }
        requireReachable(hostPort);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment reg = llama_h.ggml_backend_rpc_add_server(arena.allocateFrom(hostPort));
            if (reg.equals(MemorySegment.NULL)) {
                throw new JseekException("No RPC worker answers at " + hostPort + "; start one there with `jseek worker` "
                        + "(or llama.cpp's ggml-rpc-server) and check the address.");
            }
            if (registeredRpc.add(hostPort)) {
                llama_h.ggml_backend_register(reg);
            }
        }
    }

    private final java.util.Set<String> registeredRpc = new java.util.HashSet<>();

    /**
     * ggml's RPC client aborts the whole process when it cannot connect, so look first: an address where nothing
     * listens becomes an exception here. (A worker that dies later still takes the process down: see README.)
     */
    private static boolean isReachable(String hostPort) {
        try {
            requireReachable(hostPort);
            return true;
        } catch (JseekException e) {
            return false;
        }
    }

    private static void requireReachable(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = hostPort.substring(0, colon);
        int port = Integer.parseInt(hostPort.substring(colon + 1));
        try (java.net.Socket socket = new java.net.Socket()) {
            socket.connect(new java.net.InetSocketAddress(host, port), 3000);
        } catch (java.io.IOException e) {
            throw new JseekException("No RPC worker answers at " + hostPort + " (" + e.getMessage() + "); start one there with "
                    + "`jseek worker` (or llama.cpp's ggml-rpc-server) and check the address.");
        }
    }

    /**
     * The offload devices for a model that may use the given RPC workers: those workers' devices, then the local
     * GPUs. Null while no RPC worker was ever added (llama.cpp then picks, as it would). This keeps a worker added
     * for one model (and perhaps gone since) out of every later model.
     */
    synchronized MemorySegment offloadDevices(java.util.List<String> rpcServers, Arena arena) {
        if (registeredRpc.isEmpty()) {
            return null;
        }
        java.util.List<MemorySegment> remote = new java.util.ArrayList<>();
        java.util.List<MemorySegment> local = new java.util.ArrayList<>();
        for (long i = 0; i < llama_h.ggml_backend_dev_count(); i++) {
            MemorySegment dev = llama_h.ggml_backend_dev_get(i);
            int type = llama_h.ggml_backend_dev_type(dev);
            String name = llama_h.ggml_backend_dev_name(dev).reinterpret(Long.MAX_VALUE).getString(0);
            String description = llama_h.ggml_backend_dev_description(dev).reinterpret(Long.MAX_VALUE).getString(0);
            if (name.startsWith("RPC")) {
                if (rpcServers.contains(description)) {
                    remote.add(dev);
                }
            } else if (type == llama_h.GGML_BACKEND_DEVICE_TYPE_GPU() || type == llama_h.GGML_BACKEND_DEVICE_TYPE_IGPU()) {
                local.add(dev);
            }
        }
        remote.addAll(local);
        MemorySegment list = arena.allocate(java.lang.foreign.ValueLayout.ADDRESS, remote.size() + 1L); // zeroed: NULL-terminated
        for (int i = 0; i < remote.size(); i++) {
            list.setAtIndex(java.lang.foreign.ValueLayout.ADDRESS, i, remote.get(i));
        }
        return list;
    }

    /** The buffer type that puts weights on the named device ("CPU", "CUDA0", "RPC0", …). */
    MemorySegment bufferType(String device) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dev = device.equalsIgnoreCase("CPU")
                    ? llama_h.ggml_backend_dev_by_type(llama_h.GGML_BACKEND_DEVICE_TYPE_CPU())
                    : llama_h.ggml_backend_dev_by_name(arena.allocateFrom(device));
            if (dev.equals(MemorySegment.NULL)) {
                throw new IllegalArgumentException("no device named '" + device + "'; this machine has " + deviceNames());
            }
            return llama_h.ggml_backend_dev_buffer_type(dev);
        }
    }

    /** Device names only: unlike {@link #devices()}, asks no RPC worker anything (a gone worker aborts ggml). */
    public List<String> deviceNames() {
        List<String> names = new ArrayList<>();
        for (long i = 0; i < llama_h.ggml_backend_dev_count(); i++) {
            names.add(llama_h.ggml_backend_dev_name(llama_h.ggml_backend_dev_get(i)).reinterpret(Long.MAX_VALUE).getString(0));
        }
        return List.copyOf(names);
    }

    /** Whether this build can offload layers to a GPU. */
    public boolean supportsGpuOffload() {
        return llama_h.llama_supports_gpu_offload();
    }

    /** A compute device: memory figures are bytes as reported by its backend, -1 if unknown. */
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
