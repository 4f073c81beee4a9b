package dev.jseek;

import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * 500 model load/close cycles and 500 chat-session open/close cycles: the process's resident memory after the
 * last cycle stays within {@value #BOUND_MIB} MiB of where it stood after the first {@value #WARM_UP} (JIT, heap
 * and allocator warm-up), so nothing native is leaked per cycle. A leak of one context (KV cache and compute
 * buffers, several MiB) or one model per cycle would blow the bound many times over.
 */
class LifetimeTest {
    private static final int CYCLES = 500;
    private static final int WARM_UP = 50;
    private static final long BOUND_MIB = 64;

    @Test
    void fiveHundredModelLoadsAndClosesDoNotGrowMemory() throws IOException {
        Path tiny = TestModels.tiny();
        long baseline = 0;
        for (int i = 0; i < CYCLES; i++) {
            Model model = Model.load(tiny, ModelParams.defaults());
            model.close();
            model.close(); // a second close is harmless
            if (i == WARM_UP - 1) {
                baseline = residentBytes();
            }
        }
        assertWithinBound("model load/close", baseline, residentBytes());
    }

    @Test
    void fiveHundredSessionsOpenedAndClosedDoNotGrowMemory() throws IOException {
        try (Model model = Model.load(TestModels.tiny(), ModelParams.defaults())) {
            ChatOptions options = ChatOptions.defaults().withContext(ContextParams.defaults().withContextSize(512)).withMaxTokens(2);
            long baseline = 0;
            ChatSession last = null;
            for (int i = 0; i < CYCLES; i++) {
                ChatSession session = new ChatSession(model, options);
                if (i % 50 == 0) {
                    session.send("Hi", ChatListener.silent()); // now and then with a decoded turn in its KV cache
                }
                session.close();
                last = session;
                if (i == WARM_UP - 1) {
                    baseline = residentBytes();
                }
            }
            assertWithinBound("session open/close", baseline, residentBytes());
            ChatSession closed = last;
            assertThrows(IllegalStateException.class, () -> closed.send("after close", ChatListener.silent()));
        }
    }

    private static void assertWithinBound(String what, long baseline, long end) {
        long growthMib = (end - baseline) >> 20;
        System.err.printf("%s: resident %d MiB after %d cycles, %d MiB after %d (growth %d MiB, bound %d)%n", what,
                baseline >> 20, WARM_UP, end >> 20, CYCLES, growthMib, BOUND_MIB);
        assertTrue(growthMib < BOUND_MIB, what + ": resident memory grew by " + growthMib + " MiB over " + (CYCLES - WARM_UP)
                + " cycles");
    }

    /**
     * VmRSS of this process after a GC and a pause: G1 hands freed heap back to the OS a moment after a full GC,
     * and until then Java garbage (the GGUF reader's, per load) would count as resident.
     */
    private static long residentBytes() throws IOException {
        try {
            System.gc();
            Thread.sleep(1000);
            System.gc();
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
