package dev.jseek.chat;

import dev.jseek.Context;
import dev.jseek.ContextParams;
import dev.jseek.Generator;
import dev.jseek.Sampler;
import dev.jseek.SamplerParams;
import dev.jseek.LoadedModel;
import dev.jseek.TestModels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Many independent requests through one {@link ChatEngine}, as {@code jseek batch} sends them: greedy replies equal each
 * prompt alone, an oversize prompt fails alone, per-request token limits, and a cancel that ends everything.
 */
class EngineBatchTest {
    @RegisterExtension
    static final LoadedModel MODEL = new LoadedModel(TestModels::tiny);
    private static final List<String> QUESTIONS = List.of("Why is the sea salty?", "Name three planets.",
            "What is 2+2? Explain step by step, with every detail you can think of.", "Hi", "深度求索是什么？", "Tell me a joke 🐳");

    private static ChatEngine engine(int parallel, int contextPerSequence) {
        return new ChatEngine(MODEL.get(), new ChatEngine.Options(null,
                ContextParams.defaults().withContextSize(contextPerSequence * parallel).withSequences(parallel), Integer.MAX_VALUE));
    }

    private static ReplyOptions greedy(int maxTokens) {
        return ReplyOptions.defaults().withSampling(SamplerParams.greedy()).withMaxTokens(maxTokens);
    }

    /** Submits every question at once, as jseek batch does; the replies in question order. */
    private static List<ChatEngine.Reply> run(ChatEngine engine, List<String> questions, List<ReplyOptions> options,
                                              ChatEngine.Listener listener) {
        List<ChatEngine.Handle> handles = new ArrayList<>();
        for (int i = 0; i < questions.size(); i++) {
            handles.add(engine.submit(List.of(ChatMessage.user(questions.get(i))), options.get(i), listener));
        }
        return handles.stream().map(h -> h.result().join()).toList();
    }

    private static List<ChatEngine.Reply> run(ChatEngine engine, List<String> questions, ReplyOptions options) {
        return run(engine, questions, Collections.nCopies(questions.size(), options), new ChatEngine.Listener() { });
    }

    /** A prompt run alone, one token per decode as a chat would: its tokens and each step's top-1/top-2 logit gap. */
    private record Alone(int[] tokens, float[] gaps) {
    }

    private static Alone alone(String question, int maxTokens) {
        try (Context ctx = MODEL.get().newContext(ContextParams.defaults());
             Sampler greedy = new Sampler(MODEL.get().vocab(), SamplerParams.greedy());
             Generator g = new Generator(ctx, 0)) {
            int[] feed;
            try (ChatTemplate own = ChatTemplate.of(MODEL.get())) {
                feed = new ChatPrompt(MODEL.get().vocab(), own).build(List.of(ChatMessage.user(question)), ReplyOptions.defaults()).tokens();
            }
            int[] tokens = new int[maxTokens];
            float[] gaps = new float[maxTokens];
            int n = 0;
            while (n < maxTokens) {
                Generator.Result r = g.generate(feed, greedy, 1, (t, s) -> { });
                float[] logits = ctx.logits(-1);
                float best = Float.NEGATIVE_INFINITY;
                float second = Float.NEGATIVE_INFINITY;
                for (float v : logits) {
                    if (v > best) {
                        second = best;
                        best = v;
                    } else if (v > second) {
                        second = v;
                    }
                }
                if (r.tokens().length == 0) {
                    break; // end of generation
                }
                gaps[n] = best - second;
                tokens[n++] = r.tokens()[0];
                feed = new int[0]; // the generator decodes the token it just streamed before sampling the next
            }
            return new Alone(java.util.Arrays.copyOf(tokens, n), gaps);
        }
    }

    /** The first index where two token sequences differ, or -1. */
    private static int firstDifference(int[] a, int[] b) {
        for (int i = 0; i < Math.max(a.length, b.length); i++) {
            if (i >= a.length || i >= b.length || a[i] != b[i]) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void withOneSlotEveryRequestIsExactlyWhatItGivesAlone() {
        try (ChatEngine engine = engine(1, 1024)) {
            List<ChatEngine.Reply> results = run(engine, QUESTIONS, greedy(16));
            for (int i = 0; i < QUESTIONS.size(); i++) {
                assertArrayEquals(alone(QUESTIONS.get(i), 16).tokens(), results.get(i).tokens(), "request q" + i);
            }
        }
    }

    /**
     * With several slots the batches have other shapes, and llama.cpp's CPU kernels round differently for other
     * shapes (activations go through F16 for F16 weights). On this random-weight model the best two logits are
     * sometimes within 0.01 of each other, and then greedy may pick the other one. So: identical, or diverging
     * only at such a near-tie of the alone run; a bug (a sequence seeing another's KV cache, a wrong position)
     * diverges at a clear margin and fails. Slots are refilled: six requests share four sequences.
     */
    @Test
    void parallelGreedyResultsEqualEachPromptAloneUpToNearTiesAndSlotsAreRefilled() {
        List<ChatEngine.Reply> parallel;
        try (ChatEngine engine = engine(4, 1024)) {
            parallel = run(engine, QUESTIONS, greedy(16));
        }
        int identical = 0;
        for (int i = 0; i < QUESTIONS.size(); i++) {
            ChatEngine.Reply r = parallel.get(i);
            assertTrue(r.sequence() >= 0 && r.sequence() < 4, "request q" + i + " ran on sequence " + r.sequence());
            Alone expected = alone(QUESTIONS.get(i), 16);
            int at = firstDifference(expected.tokens(), r.tokens());
            if (at < 0) {
                identical++;
            } else {
                assertTrue(at < expected.tokens().length && expected.gaps()[at] < 0.01f,
                        "request q" + i + " diverged at token " + at + " where the alone run's margin was "
                                + (at < expected.tokens().length ? expected.gaps()[at] : "n/a"));
            }
        }
        assertTrue(identical >= QUESTIONS.size() / 2, "only " + identical + " of " + QUESTIONS.size() + " identical");
    }

    @Test
    void anOversizePromptIsRefusedWhileTheOthersSucceed() {
        try (ChatEngine engine = engine(2, 256)) {
            ChatInputException e = org.junit.jupiter.api.Assertions.assertThrows(ChatInputException.class,
                    () -> engine.submit(List.of(ChatMessage.user("word ".repeat(600))), greedy(8), new ChatEngine.Listener() { }));
            assertTrue(e.getMessage().contains("a parallel slot holds 256"), e.getMessage());
            for (ChatEngine.Reply r : run(engine, QUESTIONS.subList(0, 3), greedy(8))) {
                assertTrue(r.turn().stats().generatedTokens() > 0, r.turn().toString());
            }
        }
    }

    @Test
    void perRequestMaxTokensAreHonoured() {
        try (ChatEngine engine = engine(2, 1024)) {
            List<ChatEngine.Reply> results = run(engine, List.of("a", "b"), List.of(greedy(3), greedy(11)), new ChatEngine.Listener() { });
            assertTrue(results.get(0).turn().stats().generatedTokens() <= 3);
            assertTrue(results.get(1).turn().stats().generatedTokens() <= 11);
            if (results.get(1).turn().stop() == Generator.StopReason.MAX_TOKENS) {
                assertEquals(11, results.get(1).turn().stats().generatedTokens());
            }
        }
    }

    /** cancelAll, once every request is queued and the first has its sequence, ends the running ones and the waiting ones alike. */
    @Test
    void cancelAllEndsEveryRequest() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        ChatEngine.Listener listener = new ChatEngine.Listener() {
            @Override
            public void onStarted(int sequence, int reusedTokens) {
                started.countDown();
            }
        };
        try (ChatEngine engine = engine(2, 1024)) {
            List<ChatEngine.Handle> handles = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                handles.add(engine.submit(List.of(ChatMessage.user("Go on forever " + i)), greedy(100_000), listener));
            }
            started.await();
            engine.cancelAll();
            List<ChatEngine.Reply> results = handles.stream().map(h -> h.result().join()).toList();
            assertTrue(results.stream().allMatch(r -> r.turn().stop() == Generator.StopReason.CANCELLED
                    || r.turn().stop() == Generator.StopReason.END_OF_GENERATION), results.toString());
            assertTrue(results.stream().anyMatch(r -> r.turn().stop() == Generator.StopReason.CANCELLED), results.toString());
        }
    }
}
