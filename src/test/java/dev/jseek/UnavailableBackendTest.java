package dev.jseek;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Which built GPU backends cannot run here, and llama.cpp's reason, from the module files and ggml's load log. */
class UnavailableBackendTest {

    @Test
    void aCudaModuleWithoutDevicesGivesCudasOwnReason(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("libggml-cuda.so"), "");
        List<String> log = List.of("ggml_backend_load_best: something else",
                "ggml_cuda_init: failed to initialize CUDA: no CUDA-capable device is detected");
        List<UnavailableBackend> found = UnavailableBackend.find(dir, Map.of("CPU", 1L, "CUDA", 0L), log);
        assertEquals(List.of(new UnavailableBackend("CUDA", dir.resolve("libggml-cuda.so"), "no CUDA-capable device is detected")), found);
        assertEquals("CUDA is built but unavailable here (no CUDA-capable device is detected); running on the CPU.",
                found.getFirst().notice());
    }

    @Test
    void aModuleThatDidNotLoadGivesDlopensReason(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("libggml-cuda.so"), "");
        List<String> log = List.of("load_backend: failed to load " + dir.resolve("libggml-cuda.so")
                + ": libcuda.so.1: cannot open shared object file: No such file or directory");
        assertEquals("libcuda.so.1: cannot open shared object file: No such file or directory",
                UnavailableBackend.find(dir, Map.of("CPU", 1L), log).getFirst().reason());
    }

    @Test
    void aBackendWithADeviceAndTheCpuModulesAreNotReported(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("libggml-cuda.so"), "");
        Files.writeString(dir.resolve("libggml-cpu-haswell.so"), "");
        Files.writeString(dir.resolve("libggml-rpc.so"), "");
        assertEquals(List.of(), UnavailableBackend.find(dir, Map.of("CPU", 1L, "RPC", 0L, "CUDA", 1L), List.of()));
    }
}
