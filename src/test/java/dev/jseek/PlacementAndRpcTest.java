package dev.jseek;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MoE placement reaches llama.cpp's loader, and a model spread over an RPC worker generates what it does locally. */
class PlacementAndRpcTest {

    /** The tensors llama.cpp reports (at debug level) as moved by an override while loading with these params. */
    private static List<String> overridden(ModelParams params) {
        List<String> lines = new ArrayList<>();
        Logger logger = Logger.getLogger("dev.jseek.llama");
        Level before = logger.getLevel();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                if (r.getMessage().contains("buffer type overridden to")) {
                    lines.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.setLevel(Level.ALL);
        handler.setLevel(Level.ALL);
        logger.addHandler(handler);
        try (Model m = Model.load(TestModels.tiny(), params)) {
            return lines;
        } finally {
            logger.removeHandler(handler);
            logger.setLevel(before);
        }
    }

    @Test
    void expertsOnCpuMovesExactlyTheRoutedExpertTensors() {
        List<String> all = overridden(ModelParams.defaults().withPlacements(List.of(TensorPlacement.expertsOnCpu())));
        // the tiny model: layer 0 is dense, layers 1 and 2 have ffn_{gate,up,down}_exps
        assertEquals(6, all.size(), all.toString());
        assertTrue(all.stream().allMatch(l -> l.matches("tensor blk\\.[12]\\.ffn_(gate|up|down)_exps\\.weight .* overridden to CPU")), all.toString());
        List<String> firstLayer = overridden(ModelParams.defaults().withPlacements(List.of(TensorPlacement.layerExpertsOnCpu(1))));
        assertEquals(3, firstLayer.size(), firstLayer.toString());
        assertTrue(firstLayer.stream().allMatch(l -> l.startsWith("tensor blk.1.")), firstLayer.toString());
        assertEquals(List.of(), overridden(ModelParams.defaults()));
    }

    @Test
    void badPlacementsAndServersAreClearErrors() {
        assertThrows(IllegalArgumentException.class, () -> TensorPlacement.parse("no-equals-sign"));
        assertThrows(java.util.regex.PatternSyntaxException.class, () -> TensorPlacement.parse("blk.(=CPU"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Model.load(TestModels.tiny(),
                ModelParams.defaults().withPlacements(List.of(new TensorPlacement("exps", "NOSUCHGPU")))));
        assertTrue(e.getMessage().contains("no device named 'NOSUCHGPU'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ModelParams.defaults().withRpcServers(List.of("no-port")));
    }

    @Test
    void anUnreachableWorkerIsAnExceptionNotAnAbort() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // free now, and nothing listens there once closed
        }
        String address = "127.0.0.1:" + port;
        JseekException e = assertThrows(JseekException.class,
                () -> Model.load(TestModels.tiny(), ModelParams.defaults().withRpcServers(List.of(address))));
        assertTrue(e.getMessage().contains("No RPC worker answers at " + address), e.getMessage());
    }

    @Test
    void aModelOffloadedToAnRpcWorkerGeneratesWhatItDoesLocally() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process worker = new ProcessBuilder(Backend.get().libraryDir().resolve("ggml-rpc-server").toString(),
                "-H", "127.0.0.1", "-p", String.valueOf(port)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            waitForPort(port);
            int[] local = greedy(ModelParams.defaults());
            int[] remote = greedy(ModelParams.defaults().withGpuLayers(-1).withRpcServers(List.of("127.0.0.1:" + port)));
            assertTrue(Backend.get().deviceNames().stream().anyMatch(d -> d.startsWith("RPC")), Backend.get().deviceNames().toString());
            assertArrayEquals(local, remote);
        } finally {
            worker.destroyForcibly();
            worker.waitFor();
        }
        // The worker is gone: listing devices and loading models must not ask it anything (ggml would abort).
        assertTrue(Backend.get().devices().stream().filter(d -> d.name().startsWith("RPC")).allMatch(d -> d.freeBytes() == -1),
                Backend.get().devices().toString());
        assertTrue(greedy(ModelParams.defaults()).length > 0);
    }

    private static int[] greedy(ModelParams params) {
        try (Model m = Model.load(TestModels.tiny(), params);
             Context ctx = m.newContext(ContextParams.defaults().withContextSize(512));
             Sampler s = new Sampler(m.vocab(), SamplerParams.greedy());
             Generator g = new Generator(ctx, 0)) {
            return g.generate(m.vocab().tokenize("The sea is", true, false), s, 16, (t, x) -> { }).tokens();
        }
    }

    private static void waitForPort(int port) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
                return;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("the RPC worker did not start on port " + port);
    }
}
