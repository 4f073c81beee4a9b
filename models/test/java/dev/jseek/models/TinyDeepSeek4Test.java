package dev.jseek.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file TinyDeepSeek4 writes, read back in pure Java; that llama.cpp runs it as jseek does is src's
 * DeepSeek4ModelTest. Needs llama.cpp's DeepSeek vocab file (see TestVocab).
 */
class TinyDeepSeek4Test {
    @TempDir
    static Path dir;
    static GgufFile file;

    @BeforeAll
    static void write() throws IOException {
        Path vocab = TestVocab.path().orElse(null);
        if (vocab != null) {
            Path out = dir.resolve("v4.gguf");
            TinyDeepSeek4.write(vocab, out, TinyDeepSeek4.Config.defaults());
            file = GgufReader.read(out);
        }
    }

    @Test
    void everyTensorOfThePlanIsInTheFileWithItsShape() throws Exception {
        assumeTrue(file != null);
        var c = TinyDeepSeek4.Config.defaults();
        int vocab = file.metadata().getStringArray("tokenizer.ggml.tokens").size();
        var plan = TinyDeepSeek4.plan(c, vocab);
        assertEquals(plan.size(), file.tensors().size());
        for (var spec : plan) {
            var info = file.findTensor(spec.name()).orElseThrow(() -> new AssertionError(spec.name() + " is missing"));
            assertEquals(List.of(box(spec.shape())), List.of(box(info.shape())), spec.name());
            assertEquals(spec.type(), info.type(), spec.name());
        }
        // llama.cpp reshapes attn_output_a into (heads * head / groups, o_lora, groups)
        assertEquals(List.of(box(new long[] {64, 32})), List.of(box(file.findTensor("blk.0.attn_output_a.weight").orElseThrow().shape())));
    }

    /** The --shape v4-flash config: the real shapes, no weights; the checks and `jseek info` read only the header. */
    @Test
    void theV4FlashShapeWritesSparsePassesTheCheckAndIsNamedV4Flash(@TempDir Path tmp) throws Exception {
        Path vocab = TestVocab.path().orElse(null);
        assumeTrue(vocab != null);
        Path out = tmp.resolve("v4-flash.gguf");
        TinyDeepSeek4.writeSparse(vocab, out, TinyDeepSeek4.Config.v4FlashShape());
        GgufFile flash = GgufReader.read(out);
        ArchitectureCheck.verify(flash);
        assertEquals(43, flash.metadata().getInt("deepseek4.block_count"));
        int[] ratios = flash.metadata().getIntArray("deepseek4.attention.compress_ratios");
        assertEquals(43, ratios.length);
        for (int i = 0; i < ratios.length; i++) {
            assertEquals(i < 2 ? 0 : i % 2 == 0 ? 4 : 128, ratios[i], "compress ratio of block " + i);
        }
        assertTrue(flash.findTensor("blk.2.ffn_gate_tid2eid.weight").isPresent(), "blocks 0 to 2 are hash-routed");
        assertTrue(flash.findTensor("blk.3.ffn_gate_tid2eid.weight").isEmpty(), "block 3 is routed by score");
        assertEquals(List.of(4096L, 8192L), List.of(box(flash.findTensor("blk.0.attn_output_a.weight").orElseThrow().shape())));

        ModelFacts facts = ModelFacts.of(flash);
        assertTrue(facts.kind().startsWith("DeepSeek-V4-Flash"), facts.kind());
        assertEquals(256, facts.experts());
        assertEquals(6, facts.expertsUsed());
        assertEquals(1, facts.sharedExperts());
        // the model card's 284B total, 13B active (with DeepSeek-LLM's smaller vocabulary in place of V4's)
        assertTrue(facts.parameters() > 280_000_000_000L && facts.parameters() < 290_000_000_000L, "total " + facts.parameters());
        assertTrue(facts.activeParameters() > 12_000_000_000L && facts.activeParameters() < 15_000_000_000L,
                "active " + facts.activeParameters());
        assertTrue(facts.attention().startsWith("DeepSeek-V4 attention: 64 query heads share one K=V head of 512, "
                + "a sliding window of 128 tokens"), facts.attention());
        assertTrue(facts.attention().contains("a lightning indexer (64 heads of 128, top-k 512)"), facts.attention());
        assertTrue(flash.fileSize() > 500_000_000_000L, "V4-Flash-sized in F16: " + flash.fileSize());
    }

    @Test
    void theTinyShapeIsNotCalledV4Flash() throws Exception {
        assumeTrue(file != null);
        String kind = ModelFacts.of(file).kind();
        assertTrue(kind.contains("a shape llama.cpp does not list") && kind.contains("a small test model"), kind);
    }

    @Test
    void theHashTableGivesEveryTokenDistinctExpertsInRange() throws IOException {
        assumeTrue(file != null);
        var c = TinyDeepSeek4.Config.defaults();
        var info = file.findTensor("blk.0.ffn_gate_tid2eid.weight").orElseThrow();
        assertEquals(c.expertUsedCount(), info.shape()[0]);
        ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(info.byteSize())).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(file.path())) {
            ch.read(data, file.dataOffset() + info.offset());
        }
        data.flip();
        Set<Integer> seen = new HashSet<>();
        for (long row = 0; row < info.shape()[1]; row++) {
            Set<Integer> experts = new HashSet<>();
            for (int k = 0; k < c.expertUsedCount(); k++) {
                int id = data.getInt();
                assertTrue(id >= 0 && id < c.expertCount(), "expert id " + id + " in row " + row);
                experts.add(id);
            }
            assertEquals(c.expertUsedCount(), experts.size(), "row " + row + " repeats an expert");
            seen.addAll(experts);
        }
        assertEquals(c.expertCount(), seen.size(), "every expert is used by some token");
    }

    @Test
    void configsLlamaCppWouldAbortOnAreRefused() {
        var d = TinyDeepSeek4.Config.defaults();
        var noIndexer = assertThrows(IllegalArgumentException.class, () -> new TinyDeepSeek4.Config(d.embeddingLength(),
                d.headCount(), d.headDim(), d.ropeDim(), d.qLoraRank(), d.outputGroupCount(), d.outputLoraRank(),
                d.slidingWindow(), List.of(0, 128, 0), d.indexerHeadCount(), d.indexerHeadDim(), d.indexerTopK(),
                d.hcMult(), d.hcSinkhornIterations(), d.hcEps(), d.hashLayerCount(), d.expertFeedForwardLength(),
                d.expertCount(), d.expertUsedCount(), d.expertSharedCount(), d.expertWeightsScale(), d.swigluLimit(),
                d.contextLength(), d.ropeFreqBase(), d.compressRopeFreqBase(), d.yarnFactor(),
                d.yarnOriginalContextLength(), d.rmsNormEps(), d.seed()));
        assertTrue(noIndexer.getMessage().contains("compress ratio 4"), noIndexer.getMessage());
        var narrowIndexer = assertThrows(IllegalArgumentException.class, () -> new TinyDeepSeek4.Config(d.embeddingLength(),
                d.headCount(), d.headDim(), d.ropeDim(), d.qLoraRank(), d.outputGroupCount(), d.outputLoraRank(),
                d.slidingWindow(), d.compressRatios(), d.indexerHeadCount(), 48, d.indexerTopK(),
                d.hcMult(), d.hcSinkhornIterations(), d.hcEps(), d.hashLayerCount(), d.expertFeedForwardLength(),
                d.expertCount(), d.expertUsedCount(), d.expertSharedCount(), d.expertWeightsScale(), d.swigluLimit(),
                d.contextLength(), d.ropeFreqBase(), d.compressRopeFreqBase(), d.yarnFactor(),
                d.yarnOriginalContextLength(), d.rmsNormEps(), d.seed()));
        assertTrue(narrowIndexer.getMessage().contains("multiple of 64"), narrowIndexer.getMessage());
    }

    private static Long[] box(long[] values) {
        return java.util.Arrays.stream(values).boxed().toArray(Long[]::new);
    }
}
