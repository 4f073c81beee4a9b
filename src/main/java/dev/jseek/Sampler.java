package dev.jseek;

import dev.jseek.internal.LlamaLog;
import dev.jseek.internal.NativeHandle;

import dev.jseek.bindings.llama.llama_h;
import dev.jseek.bindings.llama.llama_sampler_chain_params;
import dev.jseek.bindings.llama.llama_token_data;
import dev.jseek.bindings.llama.llama_token_data_array;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A llama.cpp sampler chain built from {@link SamplerParams}, in llama.cpp's usual order:
 * penalties → top-k → top-p → min-p → temperature → random draw (or greedy). Holds the penalty history and
 * the random state of one sequence. One thread at a time (a second is refused); closed with its model at the latest.
 * <p>A grammar is not a link of the chain: as llama.cpp's common sampler does (and so llama-server), the chain
 * samples freely and the grammar only checks the token it drew, and only when the grammar refuses it is the
 * grammar applied to the whole vocabulary and the token drawn again. Checking every token of a 100k vocabulary
 * against a tool-call grammar took ~170 ms per token on the tiny model; the check of one token takes microseconds.
 */
public final class Sampler implements AutoCloseable {
    private final NativeHandle handle;
    private final SamplerParams params;
    private final boolean constrained;
    private final Model model;
    /** The grammar sampler (freed with the chain), or NULL; its candidates array lives in {@link #scratch}. */
    private MemorySegment grammar = MemorySegment.NULL;
    /** Candidates for the grammar's rejection sampling: one llama_token_data per vocabulary entry, and the array. */
    private final Arena scratch;
    private MemorySegment candidates;
    private MemorySegment candidatesArray;
    private MemorySegment single;
    private MemorySegment singleArray;
    private final int vocabSize;

    /** A chain for the given vocabulary (the penalties need its size). */
    public Sampler(Vocab vocab, SamplerParams params) {
        this(vocab, params, null);
    }

    /**
     * A chain whose output is constrained by a grammar (null for none).
     *
     * @throws InvalidRequestException if llama.cpp cannot parse the grammar
     */
    public Sampler(Vocab vocab, SamplerParams params, Grammar grammar) {
        Backend.get();
        this.params = params;
        this.constrained = grammar != null;
        MemorySegment chain;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chainParams = llama_h.llama_sampler_chain_default_params(arena);
            llama_sampler_chain_params.no_perf(chainParams, false);
            chain = llama_h.llama_sampler_chain_init(chainParams);
        }
        this.scratch = grammar != null ? Arena.ofShared() : null;
        this.vocabSize = vocab.size();
        this.handle = new NativeHandle("sampler", chain, c -> {
            llama_h.llama_sampler_free(c);
            if (!this.grammar.equals(MemorySegment.NULL)) {
                llama_h.llama_sampler_free(this.grammar);
            }
            if (scratch != null) {
                scratch.close();
            }
        });
        this.model = vocab.model();
        try {
            try (NativeHandle.Lease lease = model.lease()) {
                model.adopt(this); // a grammar sampler keeps the vocabulary's pointer: it must go before the model
            }
            populate(vocab, params, grammar);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private void populate(Vocab vocab, SamplerParams params, Grammar grammar) {
        if (params.penalizes()) {
            add(llama_h.llama_sampler_init_penalties(vocab.size(), params.repeatLastN(), params.repeatPenalty(),
                    params.frequencyPenalty(), params.presencePenalty()));
        }
        if (grammar != null) {
            this.grammar = grammarSampler(vocab, grammar);
            candidates = llama_token_data.allocateArray(vocabSize, scratch);
            candidatesArray = llama_token_data_array.allocate(scratch);
            single = llama_token_data.allocate(scratch);
            singleArray = llama_token_data_array.allocate(scratch);
        }
        if (params.temperature() == 0) {
            add(llama_h.llama_sampler_init_greedy());
            return;
        }
        if (params.topK() > 0) {
            add(llama_h.llama_sampler_init_top_k(params.topK()));
        }
        if (params.topP() < 1) {
            add(llama_h.llama_sampler_init_top_p(params.topP(), 1));
        }
        if (params.minP() > 0) {
            add(llama_h.llama_sampler_init_min_p(params.minP(), 1));
        }
        add(llama_h.llama_sampler_init_temp(params.temperature()));
        // -1 becomes LLAMA_DEFAULT_SEED (0xFFFFFFFF), which llama.cpp replaces with a random seed.
        add(llama_h.llama_sampler_init_dist((int) params.seed()));
    }

    private MemorySegment grammarSampler(Vocab vocab, Grammar grammar) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment rules = arena.allocateFrom(grammar.gbnf());
            MemorySegment root = arena.allocateFrom(grammar.root());
            LlamaLog.clearErrors();
            MemorySegment sampler;
            if (grammar.lazy()) {
                MemorySegment patterns = arena.allocate(ValueLayout.ADDRESS, Math.max(1, grammar.triggerPatterns().size()));
                for (int i = 0; i < grammar.triggerPatterns().size(); i++) {
                    patterns.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(grammar.triggerPatterns().get(i)));
                }
                int[] ids = grammar.triggerTokens().stream().mapToInt(Integer::intValue).toArray();
                for (int id : ids) {
                    if (id < 0 || id >= vocab.size()) {
                        throw new IllegalArgumentException("trigger token " + id + " is not in the vocabulary (0.." + (vocab.size() - 1) + ")");
                    }
                }
                MemorySegment tokens = arena.allocateFrom(ValueLayout.JAVA_INT, ids.length == 0 ? new int[1] : ids);
                sampler = vocab.use(v -> llama_h.llama_sampler_init_grammar_lazy_patterns(v, rules, root, patterns,
                        grammar.triggerPatterns().size(), tokens, ids.length));
            } else {
                sampler = vocab.use(v -> llama_h.llama_sampler_init_grammar(v, rules, root));
            }
            if (sampler.equals(MemorySegment.NULL)) {
                String reason = LlamaLog.recentErrors();
                throw new InvalidRequestException("The grammar does not parse" + (reason.isEmpty() ? "" : ": " + reason)
                        + "; check it against llama.cpp's GBNF rules.");
            }
            return sampler;
        }
    }

    /** The chain takes ownership of each sampler added (llama_sampler_free frees them with it). */
    private void add(MemorySegment sampler) {
        handle.exclusive(chain -> {
            llama_h.llama_sampler_chain_add(chain, sampler);
            return null;
        });
    }

    public SamplerParams params() {
        return params;
    }

    /**
     * Picks a token from the logits of output {@code index} of the last decode (-1: the last output) and
     * records it in the penalty history.
     */
    public int sample(Context context, int index) {
        return handle.exclusive(s -> context.use(c -> {
            MemorySegment row = Context.logitsRow(c, index); // llama.cpp asserts on a row the decode did not produce: refuse it here
            if (grammar.equals(MemorySegment.NULL)) {
                return llama_h.llama_sampler_sample(s, c, index);
            }
            return sampleWithGrammar(s, row.reinterpret((long) vocabSize * Float.BYTES));
        }));
    }

    /** common_sampler_sample's grammar-based rejection sampling (common/sampling.cpp), for a chain and a grammar. */
    private int sampleWithGrammar(MemorySegment chain, MemorySegment logits) {
        fill(logits);
        llama_h.llama_sampler_apply(chain, candidatesArray);
        int token = selected();
        llama_token_data.id(single, token);
        llama_token_data.logit(single, 1.0f);
        llama_token_data.p(single, 0.0f);
        llama_token_data_array.data(singleArray, single);
        llama_token_data_array.size(singleArray, 1);
        llama_token_data_array.selected(singleArray, -1);
        llama_token_data_array.sorted(singleArray, false);
        llama_h.llama_sampler_apply(grammar, singleArray);
        if (llama_token_data.logit(single) == Float.NEGATIVE_INFINITY) {
            fill(logits); // the grammar refuses the token: constrain every candidate, then draw again
            llama_h.llama_sampler_apply(grammar, candidatesArray);
            llama_h.llama_sampler_apply(chain, candidatesArray);
            token = selected();
        }
        llama_h.llama_sampler_accept(grammar, token);
        llama_h.llama_sampler_accept(chain, token);
        return token;
    }

    private void fill(MemorySegment logits) {
        for (int i = 0; i < vocabSize; i++) {
            MemorySegment d = llama_token_data.asSlice(candidates, i);
            llama_token_data.id(d, i);
            llama_token_data.logit(d, logits.getAtIndex(ValueLayout.JAVA_FLOAT, i));
            llama_token_data.p(d, 0.0f);
        }
        llama_token_data_array.data(candidatesArray, candidates);
        llama_token_data_array.size(candidatesArray, vocabSize);
        llama_token_data_array.selected(candidatesArray, -1);
        llama_token_data_array.sorted(candidatesArray, false);
    }

    private int selected() {
        long at = llama_token_data_array.selected(candidatesArray);
        long size = llama_token_data_array.size(candidatesArray);
        if (at < 0 || at >= size || size > vocabSize) {
            throw new IllegalStateException("the sampler chain selected no token");
        }
        // the chain may sort and cut the candidates (top-k), in place or in a buffer of its own: read where it points
        MemorySegment data = llama_token_data_array.data(candidatesArray).reinterpret(size * llama_token_data.layout().byteSize());
        return llama_token_data.id(llama_token_data.asSlice(data, at));
    }

    /**
     * Records a token that was not sampled (e.g. a prompt token) in the penalty history. Refused for a sampler
     * with a grammar: llama.cpp throws a C++ exception for a token its grammar forbids, and an exception
     * crossing into Java ends the process.
     */
    public void accept(int token) {
        if (constrained) {
            throw new IllegalStateException("a sampler with a grammar accepts only the tokens it sampled itself");
        }
        handle.exclusive(s -> {
            llama_h.llama_sampler_accept(s, token);
            return null;
        });
    }

    /** Forgets the history (penalties, grammar state) for a new sequence. */
    public void reset() {
        handle.exclusive(s -> {
            llama_h.llama_sampler_reset(s);
            if (!grammar.equals(MemorySegment.NULL)) {
                llama_h.llama_sampler_reset(grammar);
            }
            return null;
        });
    }

    /** Frees the chain (waits for a sample in progress); a second call does nothing. */
    @Override
    public void close() {
        handle.close();
        model.release(this);
    }
}
