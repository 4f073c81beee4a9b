package dev.jseek;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Native lifetimes and the one-thread rule, made deterministic: a thread "inside" a native call is held there by
 * a latch through the context's own guard, instead of hoping a real decode lasts long enough.
 */
class NativeLifetimeTest {
    private static Model shared;

    @BeforeAll
    static void load() {
        shared = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        shared.close();
    }

    /** Starts a thread that holds the context's guard until {@code release} opens; returns once it holds it. */
    private static Thread holdInside(Context ctx, CountDownLatch release) throws InterruptedException {
        CountDownLatch inside = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> ctx.use(c -> {
            inside.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }));
        inside.await();
        return holder;
    }

    @Test
    void everyContextOperationIsRefusedWhileAnotherThreadIsInsideOne() throws Exception {
        try (Context ctx = shared.newContext(ContextParams.defaults().withContextSize(256));
             Batch batch = new Batch(1, 1);
             Sampler sampler = new Sampler(shared.vocab(), SamplerParams.greedy())) {
            batch.add(shared.vocab().bos(), 0, 0, true);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = holdInside(ctx, release);
            try {
                for (Runnable op : new Runnable[] {
                        () -> ctx.decode(batch), () -> ctx.logits(-1), ctx::clearMemory, () -> ctx.removeTokens(0, 0, -1),
                        () -> ctx.lastPosition(0), () -> ctx.saveSequence(0), () -> ctx.loadSequence(0, new byte[8]),
                        ctx::synchronize, () -> sampler.sample(ctx, -1)}) {
                    IllegalStateException e = assertThrows(IllegalStateException.class, op::run);
                    assertTrue(e.getMessage().contains("in use by thread " + holder.getName()), e.getMessage());
                }
            } finally {
                release.countDown();
                holder.join();
            }
            ctx.decode(batch); // free again
            assertEquals(0, ctx.lastPosition(0));
        }
    }

    @Test
    void closeFromAnotherThreadWaitsForTheCallInsideAndCancelsIt() throws Exception {
        Context ctx = shared.newContext(ContextParams.defaults().withContextSize(256));
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = holdInside(ctx, release);
        Thread closer = Thread.ofPlatform().start(ctx::close);
        // close() cancels first, then parks on the guard: wait for both, so neither assertion below races it
        while (!ctx.isCancelRequested() || closer.getState() != Thread.State.WAITING) {
            Thread.onSpinWait();
        }
        assertFalse(ctx.isClosed());
        assertTrue(ctx.isCancelRequested(), "close cancels a decode in progress before waiting for it");
        release.countDown();
        holder.join();
        closer.join();
        assertTrue(ctx.isClosed());
        assertThrows(IllegalStateException.class, () -> ctx.lastPosition(0));
        ctx.cancel(); // always safe, even after close
        ctx.resetCancel();
    }

    @Test
    void cancelRacingCloseNeverThrows() throws Exception {
        for (int i = 0; i < 50; i++) {
            Context ctx = shared.newContext(ContextParams.defaults().withContextSize(64));
            CountDownLatch go = new CountDownLatch(1);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread canceller = Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    for (int k = 0; k < 1000; k++) {
                        ctx.cancel();
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            go.countDown();
            ctx.close();
            canceller.join();
            assertNull(failure.get());
        }
    }

    @Test
    void closingAModelClosesItsContextsAndSamplersFirst() {
        Model model = Model.load(TestModels.tiny(), ModelParams.defaults());
        Context ctx = model.newContext(ContextParams.defaults().withContextSize(64));
        Sampler sampler = new Sampler(model.vocab(), SamplerParams.greedy());
        Batch batch = new Batch(1, 1);
        batch.add(model.vocab().bos(), 0, 0, true);
        ctx.decode(batch);
        model.close();
        assertTrue(ctx.isClosed());
        // before: the context still answered from freed memory
        assertThrows(IllegalStateException.class, () -> ctx.lastPosition(0));
        assertThrows(IllegalStateException.class, () -> ctx.saveSequence(0));
        assertThrows(IllegalStateException.class, () -> ctx.decode(batch));
        assertThrows(IllegalStateException.class, () -> sampler.sample(ctx, -1));
        assertThrows(IllegalStateException.class, () -> model.vocab().tokenize("a", false, false));
        assertThrows(IllegalStateException.class, () -> model.newContext(ContextParams.defaults()));
        assertThrows(IllegalStateException.class, () -> new Sampler(model.vocab(), SamplerParams.greedy()));
        ctx.close();
        sampler.close();
        batch.close();
    }

    @Test
    void aContextMadeWhileItsModelClosesIsClosedWithItNeverLeftOnFreedWeights() throws Exception {
        Model model = Model.load(TestModels.tiny(), ModelParams.defaults());
        Context made;
        Thread closer;
        try (var lease = model.lease()) { // as a constructor in progress holds it
            closer = Thread.ofPlatform().start(model::close);
            while (closer.getState() != Thread.State.WAITING) { // the close waits for the lease
                Thread.onSpinWait();
            }
            made = model.newContext(ContextParams.defaults().withContextSize(64));
            assertFalse(made.isClosed());
        }
        closer.join();
        assertTrue(model.isClosed());
        assertTrue(made.isClosed(), "the close saw the new context and closed it before freeing the weights");
        assertThrows(IllegalStateException.class, () -> model.newContext(ContextParams.defaults()));
    }

    @Test
    void idsOutsideTheirRangeAreRefusedBeforeLlamaCppSeesThem() {
        Vocab vocab = shared.vocab();
        // before: llama.cpp's .at() threw a C++ exception through C and ended the JVM
        assertThrows(IllegalArgumentException.class, () -> vocab.isControl(10_000_000));
        assertThrows(IllegalArgumentException.class, () -> vocab.isControl(-1));
        assertThrows(IllegalArgumentException.class, () -> vocab.text(vocab.size()));
        assertThrows(IllegalArgumentException.class, () -> vocab.piece(-7, true));
        assertFalse(vocab.isEndOfGeneration(10_000_000)); // a set lookup in llama.cpp: any id is safe
        try (Context ctx = shared.newContext(ContextParams.defaults().withContextSize(64));
             Sampler sampler = new Sampler(vocab, SamplerParams.greedy());
             Batch batch = new Batch(2, 1)) {
            // llama.cpp GGML_ASSERTs (aborts the process) on these
            assertThrows(IllegalArgumentException.class, () -> ctx.lastPosition(1));
            assertThrows(IllegalArgumentException.class, () -> ctx.removeTokens(-2, 0, -1));
            assertThrows(IllegalArgumentException.class, () -> ctx.saveSequence(5));
            assertThrows(IllegalArgumentException.class, () -> ctx.loadSequence(9, new byte[4]));
            assertThrows(IllegalArgumentException.class, () -> sampler.sample(ctx, -1)); // nothing decoded yet
            batch.add(vocab.bos(), 0, 0, false);
            batch.add(vocab.bos(), 1, 0, true);
            ctx.decode(batch);
            assertThrows(IllegalArgumentException.class, () -> sampler.sample(ctx, 0)); // no logits asked for 0
            assertThrows(IllegalArgumentException.class, () -> sampler.sample(ctx, 7));
            assertThrows(IllegalArgumentException.class, () -> ctx.logits(7));
            assertTrue(sampler.sample(ctx, 1) >= 0);
        }
    }
}
