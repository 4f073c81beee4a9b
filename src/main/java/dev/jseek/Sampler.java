package dev.jseek;

import dev.jseek.internal.LlamaLog;
import dev.jseek.internal.NativeHandle;

import dev.jseek.bindings.llama.llama_h;
import dev.jseek.bindings.llama.llama_sampler_chain_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A llama.cpp sampler chain built from {@link SamplerParams}, in llama.cpp's usual order:
 * penalties → top-k → top-p → min-p → temperature → random draw (or greedy). Holds the penalty history and
 * the random state of one sequence. One thread at a time (a second is refused); closed with its model at the latest.
 */
public final class Sampler implements AutoCloseable {
    private final NativeHandle handle;
    private final SamplerParams params;
    private final boolean constrained;
    private final Model model;

    /** A chain for the given vocabulary (the penalties need its size). */
    public Sampler(Vocab vocab, SamplerParams params) {
        this(vocab, params, null);
    }

    /**
     * A chain whose output is constrained by a grammar (null for none).
     *
     * @throws IllegalArgumentException if llama.cpp cannot parse the grammar
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
        this.handle = new NativeHandle("sampler", chain, llama_h::llama_sampler_free);
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
            add(grammarSampler(vocab, grammar));
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
            MemorySegment sampler = vocab.use(v -> llama_h.llama_sampler_init_grammar(v, rules, root));
            if (sampler.equals(MemorySegment.NULL)) {
                String reason = LlamaLog.recentErrors();
                throw new IllegalArgumentException("The grammar does not parse" + (reason.isEmpty() ? "" : ": " + reason)
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
            Context.logitsRow(c, index); // llama.cpp asserts on a row the decode did not produce: refuse it here
            return llama_h.llama_sampler_sample(s, c, index);
        }));
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
