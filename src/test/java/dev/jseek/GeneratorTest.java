package dev.jseek;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GeneratorTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int[] prompt(String text) {
        return model.vocab().tokenize(text, true, false);
    }

    private static Generator.Result run(ContextParams params, SamplerParams sampling, String text, int max) {
        try (Context ctx = model.newContext(params);
             Sampler sampler = new Sampler(model.vocab(), sampling);
             Generator g = new Generator(ctx, 0)) {
            return g.generate(prompt(text), sampler, max, (t, s) -> { });
        }
    }

    @Test
    void greedyIsDeterministicAndIndependentOfBatchSize() {
        Generator.Result a = run(ContextParams.defaults(), SamplerParams.greedy(), "Once upon a time", 24);
        Generator.Result b = run(ContextParams.defaults().withBatchSize(2), SamplerParams.greedy(), "Once upon a time", 24);
        assertArrayEquals(a.tokens(), b.tokens());
    }

    @Test
    void aFixedSeedReproducesSampledText() {
        SamplerParams seeded = SamplerParams.deepSeekR1().withSeed(1234);
        assertArrayEquals(run(ContextParams.defaults(), seeded, "Tell me", 24).tokens(),
                run(ContextParams.defaults(), seeded, "Tell me", 24).tokens());
    }

    @Test
    void stopsAtMaxTokensAndStreamsEveryToken() {
        AtomicInteger streamed = new AtomicInteger();
        StringBuilder text = new StringBuilder();
        try (Context ctx = model.newContext(ContextParams.defaults());
             Sampler sampler = new Sampler(model.vocab(), SamplerParams.greedy().withRepeatPenalty(1.3f, 64));
             Generator g = new Generator(ctx, 0)) {
            Generator.Result r = g.generate(prompt("Count:"), sampler, 10, (t, s) -> {
                if (t >= 0) {
                    streamed.incrementAndGet();
                }
                text.append(s);
            });
            assertEquals(Generator.StopReason.MAX_TOKENS, r.stopReason());
            assertEquals(10, r.tokens().length);
            assertEquals(r.tokens().length, streamed.get());
            assertEquals(r.text(), text.toString());
            assertEquals(model.vocab().tokenize("Count:", true, false).length, r.stats().promptTokens());
        }
    }

    @Test
    void aFullContextStopsGenerationWithANotice() {
        Generator.Result r = run(ContextParams.defaults().withContextSize(256), SamplerParams.greedy(), "Go", 10_000);
        assertEquals(Generator.StopReason.CONTEXT_FULL, r.stopReason());
        // every position holds a token, and one more was sampled from the last position's logits
        assertEquals(256 - prompt("Go").length + 1, r.tokens().length);
    }

    @Test
    void aPromptLongerThanTheContextIsRejectedWithBothSizes() {
        String longText = "word ".repeat(400);
        DecodeException.ContextFull e = assertThrows(DecodeException.ContextFull.class,
                () -> run(ContextParams.defaults().withContextSize(256), SamplerParams.greedy(), longText, 1));
        assertTrue(e.getMessage().contains("256"), e.getMessage());
    }

    @Test
    void cancelStopsGenerationAndTheContextStaysUsable() {
        try (Context ctx = model.newContext(ContextParams.defaults());
             Sampler sampler = new Sampler(model.vocab(), SamplerParams.greedy());
             Generator g = new Generator(ctx, 0)) {
            Generator.Result r = g.generate(prompt("Cancel me"), sampler, 1000, (t, s) -> ctx.cancel());
            assertEquals(Generator.StopReason.CANCELLED, r.stopReason());
            assertEquals(1, r.tokens().length, "the token that triggered the cancel is kept, no more");
            ctx.resetCancel();
            ctx.clearMemory();
            assertTrue(g.generate(prompt("again"), sampler, 3, (t, s) -> { }).tokens().length > 0);
        }
    }

    @Test
    void cancelDuringPromptProcessingReturnsWithinASecondAndTheContextStaysUsable() throws Exception {
        // ~4000 prompt tokens in batches of 32: about a hundred decode calls, so the cancel lands among them
        try (Context ctx = model.newContext(ContextParams.defaults().withContextSize(4096).withBatchSize(32));
             Sampler sampler = new Sampler(model.vocab(), SamplerParams.greedy());
             Generator g = new Generator(ctx, 0)) {
            int[] longPrompt = prompt("The tide comes in and goes out. ".repeat(450));
            assertTrue(longPrompt.length > 3000 && longPrompt.length < 4000, "prompt tokens: " + longPrompt.length);
            long[] cancelledAt = new long[1];
            Thread canceller = Thread.ofPlatform().start(() -> {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
                cancelledAt[0] = System.nanoTime();
                ctx.cancel();
            });
            Generator.Result r = g.generate(longPrompt, sampler, 100, (t, s) -> { });
            long returnedAt = System.nanoTime();
            canceller.join();
            assertEquals(Generator.StopReason.CANCELLED, r.stopReason());
            assertEquals(0, r.tokens().length, "cancelled while the prompt was being processed");
            assertTrue(returnedAt - cancelledAt[0] < 1_000_000_000L, "returned " + (returnedAt - cancelledAt[0]) / 1e6 + " ms after the cancel");
            ctx.resetCancel();
            ctx.clearMemory();
            assertTrue(g.generate(prompt("again"), sampler, 3, (t, s) -> { }).tokens().length > 0);
        }
    }

    @Test
    void continuingAfterMaxTokensGivesTheSameTokensAsOneLongerRun() {
        int[] whole = run(ContextParams.defaults(), SamplerParams.greedy(), "Once upon", 12).tokens();
        try (Context ctx = model.newContext(ContextParams.defaults());
             Sampler sampler = new Sampler(model.vocab(), SamplerParams.greedy());
             Generator g = new Generator(ctx, 0)) {
            Generator.Result first = g.generate(prompt("Once upon"), sampler, 5, (t, s) -> { });
            assertEquals(Generator.StopReason.MAX_TOKENS, first.stopReason());
            assertTrue(g.holdsUndecodedToken());
            Generator.Result rest = g.generate(new int[0], sampler, 7, (t, s) -> { });
            // before: the continuation sampled the last call's logits again and repeated its final token
            int[] joined = java.util.stream.IntStream.concat(java.util.Arrays.stream(first.tokens()),
                    java.util.Arrays.stream(rest.tokens())).toArray();
            assertArrayEquals(whole, joined);
        }
    }
}
