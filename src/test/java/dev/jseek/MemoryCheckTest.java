package dev.jseek;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import java.io.IOException;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** A CPU-only model larger than the available memory is refused before anything is loaded, with both sizes named. */
class MemoryCheckTest {
    @Test
    void aModelLargerThanAvailableMemoryIsRefusedWithBothSizes() throws IOException {
        GgufFile tiny = GgufReader.read(TestModels.tiny());
        var e = assertThrows(ModelLoadException.class,
                () -> MemoryCheck.require(tiny, ModelParams.defaults(), OptionalLong.of(1 << 20)));
        assertTrue(e.getMessage().startsWith(TestModels.tiny().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("1.00 MiB available"), e.getMessage());
        assertTrue(e.getMessage().contains("MiB of RAM for its weights"), e.getMessage());
    }

    @Test
    void offloadedOrUncheckedLoadsAndModelsThatFitPass() throws IOException {
        GgufFile tiny = GgufReader.read(TestModels.tiny());
        OptionalLong tooLittle = OptionalLong.of(1 << 20);
        assertDoesNotThrow(() -> MemoryCheck.require(tiny, ModelParams.defaults().withGpuLayers(-1), tooLittle));
        assertDoesNotThrow(() -> MemoryCheck.require(tiny, ModelParams.defaults().withMemoryCheck(false), tooLittle));
        assertDoesNotThrow(() -> MemoryCheck.require(tiny, ModelParams.defaults(), OptionalLong.of(1L << 30)));
        assertDoesNotThrow(() -> MemoryCheck.require(tiny, ModelParams.defaults(), OptionalLong.empty()));
        assertTrue(SystemMemory.availableBytes().orElseThrow() > 0);
    }
}
