package dev.jseek.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufMetadata;
import dev.jseek.gguf.GgufReader;
import dev.jseek.gguf.GgufTensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The files TinyDistill writes, read back in pure Java: the tensor table of each family's llama.cpp loader, the
 * tokenizer extended with every marker the release's template writes, and the hyperparameter check. That llama.cpp
 * runs them as the same program jseek does is src's DistillModelsTest. Needs llama.cpp's vocab files (see TestVocab).
 */
class TinyDistillTest {
    @TempDir
    static Path dir;
    static final Map<TinyDistill.Family, GgufFile> FILES = new EnumMap<>(TinyDistill.Family.class);
    static final Map<TinyDistill.Family, Path> VOCABS = new EnumMap<>(TinyDistill.Family.class);

    @BeforeAll
    static void writeEachFamily() throws IOException {
        Optional<Path> deepSeekVocab = TestVocab.path();
        if (deepSeekVocab.isEmpty()) {
            return;
        }
        for (TinyDistill.Family family : TinyDistill.Family.values()) {
            // llama.cpp's models/ holds every vocab file side by side
            Path vocab = deepSeekVocab.get().resolveSibling(family.vocabFile());
            Path out = dir.resolve(family.architecture() + ".gguf");
            TinyDistill.write(vocab, out, TinyDistill.Config.defaults(family));
            VOCABS.put(family, vocab);
            FILES.put(family, GgufReader.read(out));
        }
    }

    private static GgufFile file(TinyDistill.Family family) {
        assumeTrue(FILES.containsKey(family), "needs llama.cpp's vocab files: set -Djseek.vocab or JSEEK_VOCAB");
        return FILES.get(family);
    }

    @ParameterizedTest
    @EnumSource(TinyDistill.Family.class)
    void theHyperparameterCheckAcceptsIt(TinyDistill.Family family) throws IOException {
        GgufFile file = file(family);
        assertEquals(family.architecture(), file.metadata().getString("general.architecture"));
        ArchitectureCheck.verify(file);
    }

    @ParameterizedTest
    @EnumSource(TinyDistill.Family.class)
    void theTensorsAreThoseOfTheFamilysLoader(TinyDistill.Family family) throws IOException {
        GgufFile file = file(family);
        var cfg = TinyDistill.Config.defaults(family);
        long embd = cfg.embeddingLength();
        long head = cfg.headDim();
        long kv = head * cfg.headCountKv();
        int vocab = file.metadata().getStringArray("tokenizer.ggml.tokens").size();
        assertArrayEquals(new long[] {embd, vocab}, file.findTensor("token_embd.weight").orElseThrow().shape());
        for (int i = 0; i < cfg.blockCount(); i++) {
            String b = "blk." + i + ".";
            assertArrayEquals(new long[] {embd, head * cfg.headCount()}, shape(file, b + "attn_q.weight"));
            assertArrayEquals(new long[] {embd, kv}, shape(file, b + "attn_k.weight"));
            assertArrayEquals(new long[] {embd, kv}, shape(file, b + "attn_v.weight"));
            assertArrayEquals(new long[] {head * cfg.headCount(), embd}, shape(file, b + "attn_output.weight"));
            assertArrayEquals(new long[] {cfg.feedForwardLength(), embd}, shape(file, b + "ffn_down.weight"));
            // Qwen2.5 has q/k/v biases; Qwen3 RMS-normalises each head's q and k instead; Llama has neither
            boolean biases = family == TinyDistill.Family.QWEN2;
            boolean qkNorm = family == TinyDistill.Family.QWEN3;
            assertEquals(biases, file.findTensor(b + "attn_q.bias").isPresent());
            assertEquals(biases, file.findTensor(b + "attn_k.bias").isPresent());
            assertEquals(biases, file.findTensor(b + "attn_v.bias").isPresent());
            assertEquals(qkNorm, file.findTensor(b + "attn_q_norm.weight").isPresent());
            assertEquals(qkNorm, file.findTensor(b + "attn_k_norm.weight").isPresent());
            if (biases) {
                assertArrayEquals(new long[] {kv}, shape(file, b + "attn_k.bias"));
                assertEquals(GgmlType.F32, file.findTensor(b + "attn_k.bias").orElseThrow().type());
            }
            if (qkNorm) {
                assertArrayEquals(new long[] {head}, shape(file, b + "attn_q_norm.weight"));
            }
        }
        // R1-Distill-Qwen-1.5B ties its output to the embeddings; the 8B models do not
        assertEquals(!cfg.tiedEmbeddings(), file.findTensor("output.weight").isPresent());
        assertEquals(family == TinyDistill.Family.QWEN2, cfg.tiedEmbeddings());
        assertEquals(family == TinyDistill.Family.LLAMA, file.findTensor("rope_freqs.weight").isPresent());
    }

    @Test
    void llamaGetsLlama31sRopeFactorsFromOneForHighFrequenciesToEightForLowOnes() {
        float[] factors = TinyDistill.llama3RopeFactors(TinyDistill.Config.defaults(TinyDistill.Family.LLAMA));
        // head 8, theta 500000: wavelengths 6, 167, 4443 and 118 450 positions against Llama 3.1's 2048..8192 band
        assertEquals(4, factors.length);
        assertEquals(1f, factors[0]);
        assertEquals(1f, factors[1]);
        assertTrue(factors[2] > 1 && factors[2] < 8, "smoothed in the band: " + factors[2]);
        assertEquals(8f, factors[3]);
    }

    @ParameterizedTest
    @EnumSource(TinyDistill.Family.class)
    void everyMarkerOfTheReleasesTemplateIsAControlTokenAppendedToTheBaseVocab(TinyDistill.Family family) throws IOException {
        GgufMetadata m = file(family).metadata();
        GgufMetadata base = GgufReader.read(VOCABS.get(family)).metadata();
        List<String> tokens = m.getStringArray("tokenizer.ggml.tokens");
        int[] types = m.getIntArray("tokenizer.ggml.token_type");
        int baseCount = base.getStringArray("tokenizer.ggml.tokens").size();
        assertEquals(base.getStringArray("tokenizer.ggml.tokens"), tokens.subList(0, baseCount), "the base vocab keeps its ids");
        assertEquals(TinyDistill.CHAT_MARKERS, tokens.subList(baseCount, tokens.size()));

        String template = m.getString("tokenizer.chat_template");
        assertEquals(R1Tokenizer.chatTemplate(family.templateFile()), template);
        Matcher markers = Pattern.compile("<\uFF5C[^\uFF5C]+\uFF5C>|</?think>").matcher(template);
        int found = 0;
        while (markers.find()) {
            int id = tokens.indexOf(markers.group());
            assertTrue(id >= baseCount, markers.group() + " is one of the appended tokens");
            assertEquals(R1Tokenizer.CONTROL, types[id], markers.group() + " is a control token");
            found++;
        }
        assertTrue(found >= 10, "the template writes the turn, thinking and tool markers: " + found);
        assertTrue(template.contains("<\uFF5CAssistant\uFF5C><think>\\n"), "the release pre-fills <think>");
        assertEquals("<\uFF5Cbegin\u2581of\u2581sentence\uFF5C>", tokens.get(m.getInt("tokenizer.ggml.bos_token_id")));
        assertEquals("<\uFF5Cend\u2581of\u2581sentence\uFF5C>", tokens.get(m.getInt("tokenizer.ggml.eos_token_id")));
        assertTrue(m.getBool("tokenizer.ggml.add_bos_token"));
        assertEquals(base.getString("tokenizer.ggml.pre"), m.getString("tokenizer.ggml.pre"), "the base pre-tokenizer");
    }

    @Test
    void aConfigThatLlamaCppCouldNotRunIsRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new TinyDistill.Config(TinyDistill.Family.QWEN2, 32, 2, 4, 3, 64, true, 4096, 1e4f, 1e-6f, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new TinyDistill.Config(TinyDistill.Family.QWEN3, 30, 2, 4, 2, 64, false, 4096, 1e4f, 1e-6f, 1));
        assertFalse(TinyDistill.Config.defaults(TinyDistill.Family.LLAMA).tiedEmbeddings());
    }

    private static long[] shape(GgufFile file, String tensor) {
        return file.findTensor(tensor).map(GgufTensorInfo::shape).orElseThrow(() -> new AssertionError("no tensor " + tensor));
    }
}
