package dev.jseek;

import dev.jseek.bindings.llama.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Serves this machine's devices to other jseek (or llama.cpp) processes over ggml's RPC protocol, so one model
 * can be spread over several machines. The protocol has no authentication or encryption: bind it to loopback
 * or a trusted network only.
 */
public final class RpcWorker {
    private RpcWorker() {
    }

    /**
     * Serves until the process ends (this call does not return while serving).
     *
     * @param cacheDir where received tensors are cached between runs (faster reloads), or null for none
     * @throws JseekException if it cannot serve (e.g. the port is taken)
     */
    public static void serve(String host, int port, int threads, Path cacheDir) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be in 1..65535, not " + port);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        Backend.get();
        try (Arena arena = Arena.ofConfined()) {
            List<MemorySegment> devices = servedDevices();
            MemorySegment list = arena.allocate(ValueLayout.ADDRESS, devices.size());
            for (int i = 0; i < devices.size(); i++) {
                list.setAtIndex(ValueLayout.ADDRESS, i, devices.get(i));
            }
            MemorySegment cache = cacheDir == null ? MemorySegment.NULL : arena.allocateFrom(cacheDir.toString());
            llama_h.ggml_backend_rpc_start_server(arena.allocateFrom(host + ":" + port), cache, threads, devices.size(), list);
        }
        throw new JseekException("Cannot serve RPC on " + host + ":" + port + "; is the port taken or the address not this machine's?");
    }

    /** Accelerators if there are any, else the CPU (what llama.cpp's rpc-server offers). */
    private static List<MemorySegment> servedDevices() {
        List<MemorySegment> accelerators = new ArrayList<>();
        for (long i = 0; i < llama_h.ggml_backend_dev_count(); i++) {
            MemorySegment dev = llama_h.ggml_backend_dev_get(i);
            int type = llama_h.ggml_backend_dev_type(dev);
            String name = llama_h.ggml_backend_dev_name(dev).reinterpret(Long.MAX_VALUE).getString(0);
            if (type != llama_h.GGML_BACKEND_DEVICE_TYPE_CPU() && type != llama_h.GGML_BACKEND_DEVICE_TYPE_ACCEL() && !name.startsWith("RPC")) {
                accelerators.add(dev);
            }
        }
        return accelerators.isEmpty() ? List.of(llama_h.ggml_backend_dev_by_type(llama_h.GGML_BACKEND_DEVICE_TYPE_CPU())) : accelerators;
    }
}
