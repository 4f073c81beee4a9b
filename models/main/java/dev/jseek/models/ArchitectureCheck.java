package dev.jseek.models;

import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufArray;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufFormatException;
import dev.jseek.gguf.GgufTensorInfo;
import dev.jseek.gguf.GgufType;
import dev.jseek.gguf.GgufValue;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;

/**
 * Checks that a GGUF's hyperparameters agree with each other and with its tensor shapes, for the families
 * jseek runs: {@code deepseek2} (V2, V2-Lite, Coder-V2, V3, R1), {@code deepseek32} (V3.2) and the R1-Distill ones ({@code qwen2},
 * {@code qwen3}, {@code llama}). llama.cpp checks tensor shapes against the metadata as it loads, but trusts the
 * metadata itself: an MLA model with {@code head_count_kv} 4, a query without q_lora on a non-lite layer count,
 * or a zero head count load and then abort the process (GGML_ASSERT, division by zero) when the first graph is
 * built. Every rule here names the key or tensor and what the value should be.
 */
public final class ArchitectureCheck {
    // llama.cpp loads deepseek2 models with this many blocks as V2-Lite: query without q_lora (llama-model.cpp)
    private static final List<Integer> LITE_BLOCK_COUNTS = List.of(26, 27);
    private static final int MAX_LAYERS = 512; // LLAMA_MAX_LAYERS
    private static final int MAX_EXPERTS = 512; // LLAMA_MAX_EXPERTS
    private static final int MAX_GATING_FUNC = 4; // LLAMA_EXPERT_GATING_FUNC_TYPE_SQRT_SOFTPLUS
    private static final List<String> SPECIAL_TOKEN_KEYS = List.of("bos", "eos", "eot", "eom", "unknown", "seperator",
            "padding", "mask", "cls");

    private final GgufFile file;
    private final String arch;
    private final String prefix;

    private ArchitectureCheck(GgufFile file, String arch) {
        this.file = file;
        this.arch = arch;
        this.prefix = arch + ".";
    }

    /** Throws a {@link GgufFormatException} naming the first disagreement; architectures jseek does not know pass. */
    public static void verify(GgufFile file) throws GgufFormatException {
        Optional<String> arch = file.metadata().findString("general.architecture");
        if (arch.isEmpty()) {
            throw new GgufFormatException(file.path() + " has no general.architecture key, so it is not a model llama.cpp can load.");
        }
        var check = new ArchitectureCheck(file, arch.get());
        check.vocabulary();
        switch (arch.get()) {
            case "deepseek2" -> {
                check.weightTypes();
                check.vectorsAreF32();
                check.deepSeek2();
            }
            case "deepseek32" -> {
                check.weightTypes();
                check.vectorsAreF32();
                check.deepSeek2();
                check.deepSeek32();
            }
            case "deepseek4" -> check.deepSeek4();
            case "llama", "qwen2", "qwen3" -> {
                check.weightTypes();
                check.vectorsAreF32();
                check.groupedQueryAttention();
            }
            default -> {
            }
        }
    }

    // Found by the fuzz test (bench/FUZZ.md): llama.cpp loads a weight stored as an integer type, then aborts in
    // the CPU kernels ("binary_op: unsupported types") when the graph runs.
    private void weightTypes() throws GgufFormatException {
        for (GgufTensorInfo t : file.tensors()) {
            switch (t.type()) {
                case I8, I16, I32, I64, F64 -> throw fail("tensor " + t.name() + " is stored as " + t.type().ggmlName()
                        + ", which no " + arch + " weight uses");
                default -> {
                }
            }
        }
    }

    // Found by the multi-family fuzz run (bench/FUZZ.md): a qwen3 file whose blk.0.attn_k_norm.weight was stored as
    // BF16 loads, then aborts the CPU's binary ops in the first graph ("binary_op: unsupported types: dst: f32, src0:
    // f32, src1: bf16"), killing the process: llama.cpp multiplies norm weights into and adds biases to F32
    // activations, which its CPU kernels do only with an F32 operand (a deepseek2 attn_norm in F16 dies the same way;
    // deepseek4's hyper-connection vectors fail GGML_ASSERT(base->type == GGML_TYPE_F32) building the graph). Its
    // converter stores every 1-D tensor as F32 ("most of the codebase that takes in 1D tensors or norms only handles
    // F32 tensors") and llama-quantize leaves them so.
    private void vectorsAreF32() throws GgufFormatException {
        for (GgufTensorInfo t : file.tensors()) {
            if (t.dimensions() <= 1 && t.type() != GgmlType.F32) {
                throw fail("tensor " + t.name() + " is stored as " + t.type().ggmlName() + ", but llama.cpp adds or multiplies "
                        + "1-D tensors (norms, biases) into F32 activations and can only do so with F32");
            }
        }
    }

    private void vocabulary() throws GgufFormatException {
        Optional<GgufValue> tokens = file.metadata().find("tokenizer.ggml.tokens");
        if (tokens.isEmpty() || !(tokens.get() instanceof GgufArray array)) {
            return; // llama.cpp reports a missing vocabulary itself
        }
        long count = array.size();
        // llama.cpp asserts that every token string is distinct (GGML_ASSERT in llama-vocab.cpp), and it reads them as
        // C strings, so a NUL byte ends one early: both found by fuzzing
        if (array.elementType() == GgufType.STRING) {
            var seen = new HashMap<String, Integer>();
            for (int i = 0; i < array.size(); i++) {
                String token = array.getString(i);
                int nul = token.indexOf('\0');
                Integer earlier = seen.putIfAbsent(nul < 0 ? token : token.substring(0, nul), i);
                if (earlier != null) {
                    throw fail("tokenizer.ggml.tokens has token " + i + " equal to token " + earlier);
                }
            }
        }
        for (String name : SPECIAL_TOKEN_KEYS) {
            String key = "tokenizer.ggml." + name + "_token_id";
            if (file.metadata().contains(key)) {
                long id = file.metadata().getLong(key);
                if (id < 0 || id >= count) {
                    throw fail(key + " is " + id + ", outside the vocabulary of " + count + " tokens");
                }
            }
        }
        Optional<GgufTensorInfo> embedding = file.findTensor("token_embd.weight");
        if (embedding.isPresent() && embedding.get().dimensions() >= 2 && embedding.get().dimension(1) != count) {
            throw fail("token_embd.weight has " + embedding.get().dimension(1) + " rows but the vocabulary has " + count + " tokens");
        }
    }

    private void deepSeek2() throws GgufFormatException {
        int layers = positive("block_count", MAX_LAYERS);
        long embd = positive("embedding_length", Integer.MAX_VALUE);
        long heads = positive("attention.head_count", Integer.MAX_VALUE);
        boolean mla = file.metadata().contains(prefix + "attention.key_length_mla");
        if (mla) {
            long kvLora = positive("attention.kv_lora_rank", Integer.MAX_VALUE);
            long rope = positive("rope.dimension_count", Integer.MAX_VALUE);
            long keyMla = positive("attention.key_length_mla", Integer.MAX_VALUE);
            long valueMla = positive("attention.value_length_mla", Integer.MAX_VALUE);
            equal("attention.head_count_kv", 1, "MLA is stored as one shared key/value head");
            equal("attention.key_length", kvLora + rope, "kv_lora_rank + rope.dimension_count with MLA");
            equal("attention.value_length", kvLora, "kv_lora_rank with MLA");
            if (keyMla <= rope) {
                throw fail(prefix + "attention.key_length_mla is " + keyMla + " but must exceed rope.dimension_count ("
                        + rope + ")");
            }
            long nope = keyMla - rope;
            for (int i = 0; i < layers; i++) {
                String b = "blk." + i + ".";
                shape(b + "attn_kv_a_mqa.weight", embd, kvLora + rope);
                shape(b + "attn_k_b.weight", nope, kvLora, heads);
                shape(b + "attn_v_b.weight", kvLora, valueMla, heads);
                lastDimension(lite(layers) ? b + "attn_q.weight" : b + "attn_q_b.weight", heads * keyMla);
            }
        }
        if (lite(layers)) {
            for (int i = 0; i < layers; i++) {
                if (file.findTensor("blk." + i + ".attn_q.weight").isEmpty() && file.findTensor("blk." + i + ".attn_q_a.weight").isPresent()) {
                    throw fail("it has " + layers + " blocks, which llama.cpp runs as DeepSeek-V2-Lite (attn_q, no q_lora), "
                            + "but blk." + i + " has attn_q_a instead of attn_q");
                }
            }
        } else {
            positive("attention.q_lora_rank", Integer.MAX_VALUE);
        }
        // llama_expert_gating_func_type: 0 (none, read as softmax) to 4; any other value reaches GGML_ABORT
        long gating = file.metadata().getLong(prefix + "expert_gating_func", 0);
        if (gating < 0 || gating > MAX_GATING_FUNC) {
            throw fail(prefix + "expert_gating_func is " + gating + " but llama.cpp knows 0 to " + MAX_GATING_FUNC);
        }
        int dense = file.metadata().getInt(prefix + "leading_dense_block_count", 0);
        if (dense < 0 || dense > layers) {
            throw fail(prefix + "leading_dense_block_count is " + dense + " but the model has " + layers + " blocks");
        }
        if (dense < layers) {
            moe(layers, dense, embd);
        }
    }

    // llama.cpp loads only deepseek2 files with 26 or 27 blocks as V2-Lite; deepseek32 always has a q_lora
    private boolean lite(int layers) {
        return arch.equals("deepseek2") && LITE_BLOCK_COUNTS.contains(layers);
    }

    // DeepSeek-V3.2 (src/models/deepseek32.cpp): deepseek2's MLA/MoE plus the lightning indexer of DSA
    private void deepSeek32() throws GgufFormatException {
        if (!file.metadata().contains(prefix + "attention.key_length_mla")) {
            throw fail(prefix + "attention.key_length_mla is missing, but deepseek32 runs only as MLA");
        }
        int layers = positive("block_count", MAX_LAYERS);
        long embd = positive("embedding_length", Integer.MAX_VALUE);
        long qLora = positive("attention.q_lora_rank", Integer.MAX_VALUE);
        long heads = positive("attention.indexer.head_count", Integer.MAX_VALUE);
        long keyLength = positive("attention.indexer.key_length", Integer.MAX_VALUE);
        long rope = positive("rope.dimension_count", Integer.MAX_VALUE);
        // GGML_ASSERT(hparams.n_rot() <= n_embd_indexer_head): the indexer's key is [rope | nope]
        if (rope > keyLength) {
            throw fail(prefix + "attention.indexer.key_length is " + keyLength + " but must be at least rope.dimension_count ("
                    + rope + ")");
        }
        // llama_kv_cache::build_input_k_rot: the indexer's keys and queries are multiplied by a Hadamard matrix as wide as
        // the largest power of two (64 or more) dividing the key length; unless that is the key length, ggml_mul_mat
        // aborts while the first graph is built (seen with 32 and 192)
        if (keyLength < 64 || Long.bitCount(keyLength) != 1) {
            throw fail(prefix + "attention.indexer.key_length is " + keyLength + " but must be a power of two, at least 64 "
                    + "(the width of the indexer's Hadamard rotation)");
        }
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".indexer.";
            shape(b + "k_norm.weight", keyLength);
            shape(b + "k_norm.bias", keyLength);
            shape(b + "proj.weight", embd, heads);
            shape(b + "attn_k.weight", embd, keyLength);
            shape(b + "attn_q_b.weight", qLora, heads * keyLength);
        }
    }

    private void moe(int layers, int dense, long embd) throws GgufFormatException {
        long experts = positive("expert_count", MAX_EXPERTS);
        long used = positive("expert_used_count", experts);
        long groups = file.metadata().getLong(prefix + "expert_group_count", 0);
        long groupsUsed = file.metadata().getLong(prefix + "expert_group_used_count", 0);
        if (groups > 1 && (experts % groups != 0 || groupsUsed < 1 || groupsUsed > groups
                || used > experts / groups * groupsUsed)) {
            throw fail(prefix + "expert_group_count " + groups + " / expert_group_used_count " + groupsUsed
                    + " cannot route " + used + " of " + experts + " experts");
        }
        for (int i = dense; i < layers; i++) {
            String b = "blk." + i + ".";
            shape(b + "ffn_gate_inp.weight", embd, experts);
            for (String part : List.of("gate", "up", "down")) {
                lastDimension(b + "ffn_" + part + "_exps.weight", experts);
            }
        }
    }

    // DeepSeek-V4 (src/models/deepseek4.cpp and its KV cache): each rule below is a file llama.cpp loads and then
    // aborts on (GGML_ASSERT or SIGFPE) while it builds the first graph
    private void deepSeek4() throws GgufFormatException {
        for (GgufTensorInfo t : file.tensors()) {
            // the hash router's token-to-experts table is the one integer tensor V4 has
            if (t.type() != GgmlType.I32 || !t.name().endsWith(".ffn_gate_tid2eid.weight")) {
                switch (t.type()) {
                    case I8, I16, I32, I64, F64 -> throw fail("tensor " + t.name() + " is stored as " + t.type().ggmlName()
                            + ", which no " + arch + " weight uses");
                    default -> {
                    }
                }
            }
        }
        vectorsAreF32();
        int layers = positive("block_count", MAX_LAYERS);
        positive("attention.head_count", Integer.MAX_VALUE);
        // without expert_used_count llama.cpp aborts on GGML_ASSERT(n_expert_used_max > 0) (the multi-family fuzz run)
        positive("expert_used_count", positive("expert_count", MAX_EXPERTS));
        long head = positive("attention.key_length", Integer.MAX_VALUE);
        equal("attention.head_count_kv", 1, "V4 attends with one shared key/value head");
        equal("attention.value_length", head, "attention.key_length: the shared head is both key and value");
        long rope = positive("rope.dimension_count", Integer.MAX_VALUE);
        if (rope > head) {
            throw fail(prefix + "rope.dimension_count is " + rope + " but must be at most attention.key_length (" + head + ")");
        }
        if (!(file.metadata().find(prefix + "attention.compress_ratios").orElse(null) instanceof GgufArray ratios)
                || !(ratios.elementType() == GgufType.INT32 || ratios.elementType() == GgufType.UINT32)) {
            return; // llama.cpp refuses a file without the ratios itself
        }
        boolean indexed = false;
        for (int i = 0; i < Math.min(layers, ratios.size()); i++) {
            indexed |= ratios.getInteger(i) == 4;
        }
        // without a ratio-4 block the lightning indexer's cache has no layer, and sizing its rotation divides by zero
        if (!indexed) {
            throw fail(prefix + "attention.compress_ratios has no block with ratio 4 (the lightning indexer), which llama.cpp needs");
        }
        long indexerHead = positive("attention.indexer.key_length", Integer.MAX_VALUE);
        // the indexer's keys are rotated by a Hadamard matrix of at least 64
        if (indexerHead % 64 != 0) {
            throw fail(prefix + "attention.indexer.key_length is " + indexerHead + " but must be a multiple of 64");
        }
    }

    // R1-Distill models: Qwen2.5 (qwen2), Llama 3 (llama), Qwen3 (qwen3)
    private void groupedQueryAttention() throws GgufFormatException {
        int layers = positive("block_count", MAX_LAYERS);
        long embd = positive("embedding_length", Integer.MAX_VALUE);
        long heads = positive("attention.head_count", Integer.MAX_VALUE);
        long kvHeads = file.metadata().contains(prefix + "attention.head_count_kv")
                ? positive("attention.head_count_kv", heads) : heads;
        if (heads % kvHeads != 0) {
            throw fail(prefix + "attention.head_count " + heads + " is not a multiple of attention.head_count_kv " + kvHeads);
        }
        long headDim = file.metadata().getLong(prefix + "attention.key_length", embd / heads);
        if (headDim <= 0) {
            throw fail(prefix + "embedding_length " + embd + " gives no whole head for " + heads + " heads");
        }
        // llama.cpp's llama, qwen2 and qwen3 graphs assert n_embd_head_v == n_embd_head_k == n_rot; a file that differs
        // loads and aborts building the first graph (the multi-family fuzz run: qwen2 rope.dimension_count = 2)
        long valueDim = file.metadata().getLong(prefix + "attention.value_length", embd / heads);
        if (valueDim != headDim) {
            throw fail(prefix + "attention.value_length is " + valueDim + " but must equal the key head size " + headDim
                    + " (llama.cpp's " + arch + " graph asserts it)");
        }
        long rope = file.metadata().getLong(prefix + "rope.dimension_count", headDim);
        if (rope != headDim) {
            throw fail(prefix + "rope.dimension_count is " + rope + " but must equal the head size " + headDim
                    + " (llama.cpp's " + arch + " graph rotates whole heads)");
        }
        for (int i = 0; i < layers; i++) {
            String b = "blk." + i + ".";
            shape(b + "attn_q.weight", embd, heads * headDim);
            shape(b + "attn_k.weight", embd, kvHeads * headDim);
        }
    }

    private int positive(String key, long max) throws GgufFormatException {
        String full = prefix + key;
        if (!file.metadata().contains(full)) {
            throw fail(full + " is missing");
        }
        GgufValue value = file.metadata().get(full);
        if (value instanceof GgufArray) {
            throw fail(full + " is an array, but " + arch + " needs one value for every layer");
        }
        long n = file.metadata().getLong(full);
        if (n <= 0 || n > max) {
            throw fail(full + " is " + n + " but must be in 1.." + max);
        }
        return (int) n;
    }

    private void equal(String key, long expected, String why) throws GgufFormatException {
        long actual = file.metadata().getLong(prefix + key, -1);
        if (actual != expected) {
            throw fail(prefix + key + " is " + (actual == -1 ? "missing" : actual) + " but must be " + expected + " (" + why + ")");
        }
    }

    private void shape(String tensor, long... expected) throws GgufFormatException {
        Optional<GgufTensorInfo> info = file.findTensor(tensor);
        if (info.isPresent() && !Arrays.equals(info.get().shape(), expected)) {
            throw fail("tensor " + tensor + " has shape " + Arrays.toString(info.get().shape()) + " but the metadata says "
                    + Arrays.toString(expected));
        }
    }

    private void lastDimension(String tensor, long expected) throws GgufFormatException {
        Optional<GgufTensorInfo> info = file.findTensor(tensor);
        if (info.isPresent() && info.get().dimension(info.get().dimensions() - 1) != expected) {
            throw fail("tensor " + tensor + " has shape " + Arrays.toString(info.get().shape()) + " but its last dimension "
                    + "should be " + expected + " by the metadata");
        }
    }

    private GgufFormatException fail(String what) {
        return new GgufFormatException(file.path() + " is inconsistent: " + what
                + "; llama.cpp could crash on it, so jseek will not load it (re-download or re-convert the file).");
    }
}
