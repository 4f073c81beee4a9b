package dev.jseek;

import dev.jseek.bindings.llama.llama_h;
import dev.jseek.bindings.llama.llama_sampler_chain_params;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A llama.cpp sampler chain built from {@link SamplerParams}, in llama.cpp's usual order:
 * penalties → top-k → top-p → min-p → temperature → random draw (or greedy). Holds the penalty history and
 * the random state of one sequence; not thread-safe.
 */
public final class Sampler implements AutoCloseable {
    private final NativeHandle handle;
    private final SamplerParams params;

    /** A chain for the given vocabulary (the penalties need its size). */
    public Sampler(Vocab vocab, SamplerParams params) {
        Backend.get();
        this.params = params;
        MemorySegment chain;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chainParams = llama_h.llama_sampler_chain_default_params(arena);
            llama_sampler_chain_params.no_perf(chainParams, false);
            chain = llama_h.llama_sampler_chain_init(chainParams);
        }
        this.handle = new NativeHandle("sampler", chain, llama_h::llama_sampler_free);
        if (params.penalizes()) {
            add(llama_h.llama_sampler_init_penalties(vocab.size(), params.repeatLastN(), params.repeatPenalty(),
                    params.frequencyPenalty(), params.presencePenalty()));
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

    /** The chain takes ownership of each sampler added (llama_sampler_free frees them with it). */
    private void add(MemorySegment sampler) {
        llama_h.llama_sampler_chain_add(handle.get(), sampler);
    }

    public SamplerParams params() {
        return params;
    }

    /**
     * Picks a token from the logits of output {@code index} of the last decode (-1: the last output) and
     * records it in the penalty history.
     */
    public int sample(Context context, int index) {
        return llama_h.llama_sampler_sample(handle.get(), context.segment(), index);
    }

    /** Records a token that was not sampled (e.g. a prompt token) in the penalty history. */
    public void accept(int token) {
        llama_h.llama_sampler_accept(handle.get(), token);
    }

    /** Forgets the history (penalties, grammar state) for a new sequence. */
    public void reset() {
        llama_h.llama_sampler_reset(handle.get());
    }

    @Override
    public void close() {
        handle.close();
    }
}
