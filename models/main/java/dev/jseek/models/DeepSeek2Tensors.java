package dev.jseek.models;

import dev.jseek.gguf.GgmlType;
import java.util.ArrayList;
import java.util.List;

/**
 * The tensor table llama.cpp's {@code deepseek2} loader expects (src/models/deepseek2.cpp,
 * load_arch_tensors) for a V3-style or V2-Lite-style model with MLA stored split, as convert_hf_to_gguf writes it with
 * {@code --outtype f16}: matrices F16, and F32 for 1-D tensors, norms and the router ({@code ffn_gate_inp}),
 * which ggml's ops and llama-quantize keep in F32. Shapes are in ggml order (row length first).
 */
final class DeepSeek2Tensors {

    /** How a tensor's values are drawn. */
    enum Init {
        /** RMS-norm weights: 1, so the random model starts as a plain normalised network. */
        ONE,
        /** Gaussian with std 1/sqrt(row length), keeping activations and logits of order 1. */
        WEIGHT,
        /** Gaussian with std 0.1: the router's expert bias (exp_probs_b), small next to the scores. */
        BIAS
    }

    record TensorSpec(String name, GgmlType type, long[] shape, Init init) {
        long elementCount() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    private DeepSeek2Tensors() {
    }

    static List<TensorSpec> plan(TinyDeepSeek.Config c, int vocabSize) {
        long embd = c.embeddingLength();
        long heads = c.headCount();
        long headK = c.qkNopeHeadDim() + c.qkRopeHeadDim(); // key_length_mla
        long sharedFf = (long) c.expertFeedForwardLength() * c.expertSharedCount();
        var t = new ArrayList<TensorSpec>();

        t.add(matrix("token_embd.weight", embd, vocabSize));
        for (int i = 0; i < c.blockCount(); i++) {
            String blk = "blk." + i + ".";
            t.add(norm(blk + "attn_norm.weight", embd));
            if (!c.lite()) {
                t.add(norm(blk + "attn_q_a_norm.weight", c.qLoraRank()));
            }
            t.add(norm(blk + "attn_kv_a_norm.weight", c.kvLoraRank()));
            if (c.lite()) {
                t.add(matrix(blk + "attn_q.weight", embd, heads * headK));
            } else {
                t.add(matrix(blk + "attn_q_a.weight", embd, c.qLoraRank()));
                t.add(matrix(blk + "attn_q_b.weight", c.qLoraRank(), heads * headK));
            }
            t.add(matrix(blk + "attn_kv_a_mqa.weight", embd, c.kvLoraRank() + c.qkRopeHeadDim()));
            // kv_b split per head as the converter does: k_b transposed for the absorbed q_nope product
            t.add(matrix(blk + "attn_k_b.weight", c.qkNopeHeadDim(), c.kvLoraRank(), heads));
            t.add(matrix(blk + "attn_v_b.weight", c.kvLoraRank(), c.vHeadDim(), heads));
            t.add(matrix(blk + "attn_output.weight", heads * c.vHeadDim(), embd));
            t.add(norm(blk + "ffn_norm.weight", embd));
            if (i < c.leadingDenseBlockCount()) {
                t.add(matrix(blk + "ffn_gate.weight", embd, c.feedForwardLength()));
                t.add(matrix(blk + "ffn_down.weight", c.feedForwardLength(), embd));
                t.add(matrix(blk + "ffn_up.weight", embd, c.feedForwardLength()));
            } else {
                long experts = c.expertCount();
                long ff = c.expertFeedForwardLength();
                t.add(new TensorSpec(blk + "ffn_gate_inp.weight", GgmlType.F32, new long[] {embd, experts}, Init.WEIGHT));
                if (c.sigmoidGating()) {
                    t.add(new TensorSpec(blk + "exp_probs_b.bias", GgmlType.F32, new long[] {experts}, Init.BIAS));
                }
                t.add(matrix(blk + "ffn_gate_exps.weight", embd, ff, experts));
                t.add(matrix(blk + "ffn_down_exps.weight", ff, embd, experts));
                t.add(matrix(blk + "ffn_up_exps.weight", embd, ff, experts));
                t.add(matrix(blk + "ffn_gate_shexp.weight", embd, sharedFf));
                t.add(matrix(blk + "ffn_down_shexp.weight", sharedFf, embd));
                t.add(matrix(blk + "ffn_up_shexp.weight", embd, sharedFf));
            }
        }
        t.add(norm("output_norm.weight", embd));
        t.add(matrix("output.weight", embd, vocabSize));
        return t;
    }

    private static TensorSpec matrix(String name, long... shape) {
        return new TensorSpec(name, GgmlType.F16, shape, Init.WEIGHT);
    }

    private static TensorSpec norm(String name, long length) {
        return new TensorSpec(name, GgmlType.F32, new long[] {length}, Init.ONE);
    }
}
