package dev.jseek.models;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line the four generators share: what each asks for, and one sentence for each mistake. */
class GeneratorCommandTest {
    @Test
    void theShapeSeedAndSparseFlagsChooseWhatIsWritten() {
        var r = TinyDeepSeek.command().parse("--vocab", "v.gguf", "--out", "o.gguf", "--shape", "r1", "--sparse", "--seed", "7");
        assertEquals(Path.of("v.gguf"), r.vocab());
        assertEquals(Path.of("o.gguf"), r.out());
        assertEquals(TinyDeepSeek.Config.r1Shape().withSeed(7), r.config());
        assertTrue(r.sparse());
        var tiny = TinyDeepSeek4.command().parse("--vocab", "v", "--out", "o");
        assertEquals(TinyDeepSeek4.Config.defaults(), tiny.config(), "tiny is the default shape");
        assertFalse(tiny.sparse());
        assertEquals(TinyDeepSeek32.Config.v32Shape(), TinyDeepSeek32.command().parse("--vocab", "v", "--out", "o", "--shape", "v32",
                "--sparse").config());
        assertEquals(TinyDistill.Config.defaults(TinyDistill.Family.QWEN3),
                TinyDistill.command().parse("--family", "qwen3", "--vocab", "v", "--out", "o").config());
    }

    @Test
    void eachMistakeIsOneSentence() {
        assertMessage("unknown argument '--nope'", () -> TinyDeepSeek.command().parse("--vocab", "v", "--out", "o", "--nope"));
        assertMessage("--seed needs a value", () -> TinyDeepSeek.command().parse("--vocab", "v", "--out", "o", "--seed"));
        assertMessage("--vocab and --out are required", () -> TinyDeepSeek32.command().parse("--vocab", "v"));
        assertMessage("--shape must be tiny or v2-lite or r1, not 'huge'",
                () -> TinyDeepSeek.command().parse("--vocab", "v", "--out", "o", "--shape", "huge"));
        assertMessage("--shape v4-flash is over 500 GB of F16 weights: write it with --sparse",
                () -> TinyDeepSeek4.command().parse("--vocab", "v", "--out", "o", "--shape", "v4-flash"));
        assertMessage("--shape v32 is 1.3 TB of weights: write it with --sparse",
                () -> TinyDeepSeek32.command().parse("--vocab", "v", "--out", "o", "--shape", "v32"));
        assertMessage("--family, --vocab and --out are required", () -> TinyDistill.command().parse("--vocab", "v", "--out", "o"));
        assertMessage("unknown argument '--sparse'",
                () -> TinyDistill.command().parse("--family", "llama", "--vocab", "v", "--out", "o", "--sparse"));
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable parse) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, parse).getMessage());
    }
}
