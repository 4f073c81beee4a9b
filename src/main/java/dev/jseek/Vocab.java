package dev.jseek;

import dev.jseek.bindings.llama.llama_h;
import dev.jseek.internal.DeepStack;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Function;

/**
 * The model's tokenizer. Owned by its {@link Model}: usable while the model is open. Text goes to C as UTF-8
 * with its byte length; token pieces come back as bytes, since one character may span several tokens
 * (use {@link Utf8Stream} to turn a stream of pieces into text).
 */
public final class Vocab {
    private final Model model;
    private final MemorySegment vocab;
    private final int size;
    /** Pieces never change: cache them so generation makes one native call per token, not two. */
    private final AtomicReferenceArray<byte[]> pieces;
    private final AtomicReferenceArray<byte[]> specialPieces;

    Vocab(Model model, MemorySegment vocab) {
        this.model = model;
        this.vocab = vocab;
        this.size = llama_h.llama_vocab_n_tokens(vocab);
        this.pieces = new AtomicReferenceArray<>(size);
        this.specialPieces = new AtomicReferenceArray<>(size);
    }

    /** Runs a native call on the vocabulary while its model is open (the vocab's memory is the model's). */
    <T> T use(Function<MemorySegment, T> action) {
        return model.use(m -> action.apply(vocab));
    }

    Model model() {
        return model;
    }

    public int size() {
        return size;
    }

    /**
     * Tokenizes text.
     *
     * @param addSpecial   add BOS (and EOS) if the model asks for them
     * @param parseSpecial treat control-token text such as {@code <｜User｜>} as those tokens; false for any text
     *                     a user or a document supplied, so it can never impersonate the template's markers
     */
    public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        return DeepStack.run(utf8.length, () -> use(v -> tokenize(v, utf8, addSpecial, parseSpecial)));
    }

    private static int[] tokenize(MemorySegment vocab, byte[] utf8, boolean addSpecial, boolean parseSpecial) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(Math.max(1, utf8.length));
            MemorySegment.copy(utf8, 0, bytes, ValueLayout.JAVA_BYTE, 0, utf8.length);
            int capacity = utf8.length + 2;
            MemorySegment tokens = arena.allocate(ValueLayout.JAVA_INT, capacity);
            int n = llama_h.llama_tokenize(vocab, bytes, utf8.length, tokens, capacity, addSpecial, parseSpecial);
            if (n == Integer.MIN_VALUE) {
                throw new JseekException("The text of " + utf8.length + " bytes has too many tokens to tokenize.");
            }
            if (n < 0) {
                capacity = -n;
                tokens = arena.allocate(ValueLayout.JAVA_INT, capacity);
                n = llama_h.llama_tokenize(vocab, bytes, utf8.length, tokens, capacity, addSpecial, parseSpecial);
                if (n < 0) {
                    throw new JseekException("llama.cpp could not tokenize a text of " + utf8.length + " bytes.");
                }
            }
            return tokens.asSlice(0, (long) n * Integer.BYTES).toArray(ValueLayout.JAVA_INT);
        }
    }

    /**
     * The bytes of one token (a piece of UTF-8, possibly part of a character).
     *
     * @param special render control tokens (e.g. {@code </think>}) as their text instead of nothing
     */
    public byte[] piece(int token, boolean special) {
        checkToken(token);
        AtomicReferenceArray<byte[]> cache = special ? specialPieces : pieces;
        byte[] cached = cache.get(token);
        if (cached == null) {
            cached = fetchPiece(token, special);
            cache.set(token, cached);
        }
        return cached;
    }

    private byte[] fetchPiece(int token, boolean special) {
        return use(v -> {
            try (Arena arena = Arena.ofConfined()) {
                int capacity = 32;
                MemorySegment buf = arena.allocate(capacity);
                int n = llama_h.llama_token_to_piece(v, token, buf, capacity, 0, special);
                if (n < 0) {
                    capacity = -n;
                    buf = arena.allocate(capacity);
                    n = llama_h.llama_token_to_piece(v, token, buf, capacity, 0, special);
                    if (n < 0) {
                        throw new JseekException("llama.cpp could not render token " + token + ".");
                    }
                }
                return buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
            }
        });
    }

    /** Joins the tokens' pieces into text; malformed UTF-8 (e.g. a cut-off character) becomes U+FFFD. */
    public String detokenize(int[] tokens, boolean special) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int t : tokens) {
            out.writeBytes(piece(t, special));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The token's text as stored in the vocabulary (SentencePiece/BPE form, not rendered). */
    public String text(int token) {
        checkToken(token);
        return use(v -> llama_h.llama_vocab_get_text(v, token).reinterpret(Long.MAX_VALUE).getString(0));
    }

    /** End of generation: EOS, EOT or any other token the model marks as ending its turn. */
    public boolean isEndOfGeneration(int token) {
        return use(v -> llama_h.llama_vocab_is_eog(v, token)); // a set lookup: safe for any id
    }

    /** A control token (template markers such as {@code <｜User｜>}); llama.cpp looks the id up with a throwing .at(). */
    public boolean isControl(int token) {
        checkToken(token);
        return use(v -> llama_h.llama_vocab_is_control(v, token));
    }

    /** Beginning-of-sequence token, or -1 if the model has none. */
    public int bos() {
        return use(llama_h::llama_vocab_bos);
    }

    /** Whether prompts should start with BOS (the model's tokenizer.ggml.add_bos_token). */
    public boolean addsBos() {
        return use(llama_h::llama_vocab_get_add_bos);
    }

    /** End-of-sequence token, or -1 if the model has none. */
    public int eos() {
        return use(llama_h::llama_vocab_eos);
    }

    /** End-of-turn token, or -1 if the model has none. */
    public int eot() {
        return use(llama_h::llama_vocab_eot);
    }

    private void checkToken(int token) {
        if (token < 0 || token >= size) {
            throw new IllegalArgumentException("token " + token + " is outside the vocabulary of " + size);
        }
    }
}
