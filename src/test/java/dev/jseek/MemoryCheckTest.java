package dev.jseek;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

    /** A split model's parts are all counted: the first alone would fit where the whole does not. */
    @Test
    void aSplitModelCountsEveryPart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        for (int i = 1; i <= 3; i++) {
            int no = i;
            GgufEdit.withMetadata(TestModels.tiny(), dir.resolve(String.format("tiny-%05d-of-00003.gguf", i)), w -> {
                w.putUInt32("split.count", 3);
                w.putUInt32("split.no", no - 1);
            });
        }
        GgufFile first = GgufReader.read(dir.resolve("tiny-00001-of-00003.gguf"));
        long one = first.tensorBytes();
        assertEquals(3 * one, MemoryCheck.weightBytes(first, 3));
        var e = assertThrows(ModelLoadException.class,
                () -> MemoryCheck.require(first, ModelParams.defaults(), OptionalLong.of(2 * one)));
        assertTrue(e.getMessage().contains("(all 3 parts)"), e.getMessage());
        java.nio.file.Files.delete(dir.resolve("tiny-00003-of-00003.gguf"));
        assertEquals(2 * one, MemoryCheck.weightBytes(first, 3), "a missing part is the loader's to report");
        assertDoesNotThrow(() -> MemoryCheck.require(first, ModelParams.defaults(), OptionalLong.of(2 * one)));
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
