package dev.jseek;

import java.util.Arrays;
import java.util.Random;

/**
 * Prompt-processing and generation speed, measured exactly as llama.cpp's llama-bench measures it, so the two
 * compare one to one: a fresh context of n_prompt + n_gen tokens per test; a warm-up run; per repetition the KV
 * cache is cleared, then {@code pp}: n_prompt random tokens (BOS first) decoded in batches of n_batch, or
 * {@code tg}: n_gen single-token decodes, each waited for; t/s = tokens / time of each repetition.
 */
public final class SpeedBenchmark {
    // -Djseek.bench.warmupMillis for experiments; see the comment in run()
    private static final long WARMUP_NANOS = Long.getLong("jseek.bench.warmupMillis", 1000) * 1_000_000L;
    /** The JIT counts as settled once it has finished no compilation for this long. */
    private static final long JIT_QUIET_NANOS = 300_000_000L;
    /** A JIT that never settles does not hold the benchmark up longer than this. */
    private static final long MAX_WARMUP_NANOS = 10_000_000_000L;

    private SpeedBenchmark() {
    }

    /** One llama-bench test: pp512 is (512, 0), tg128 is (0, 128), pp512+tg128 both. */
    public record Test(int prompt, int generate) {
        public Test {
            if (prompt < 0 || generate < 0 || prompt + generate == 0) {
                throw new IllegalArgumentException("a test needs prompt or generated tokens (pp N or tg N), not " + prompt + "/" + generate);
            }
        }

        public String name() {
            return prompt > 0 && generate > 0 ? "pp" + prompt + "+tg" + generate : prompt > 0 ? "pp" + prompt : "tg" + generate;
        }
    }

    /** llama-bench's -b, -ub, -t, -r, -fa, -ctk and -ctv. */
    public record Params(int batch, int microBatch, int threads, int repetitions, ContextParams.FlashAttention flashAttention,
                         ContextParams.CacheType cacheTypeK, ContextParams.CacheType cacheTypeV) {
        public Params {
            if (batch < 1 || microBatch < 1 || threads < 1 || repetitions < 1) {
                throw new IllegalArgumentException("batch, micro-batch, threads and repetitions must all be at least 1");
            }
            if (flashAttention == null || cacheTypeK == null || cacheTypeV == null) {
                throw new IllegalArgumentException("flash attention and the cache types must be given");
            }
        }

        /** llama-bench's defaults for the rest: flash attention auto, an F16 KV cache. */
        public Params(int batch, int microBatch, int threads, int repetitions) {
            this(batch, microBatch, threads, repetitions, ContextParams.FlashAttention.AUTO, ContextParams.CacheType.F16,
                    ContextParams.CacheType.F16);
        }
    }

    /** Nanoseconds of each repetition, and llama-bench's derived figures. */
    public record Result(Test test, Params params, long[] samplesNs) {
        public double[] samplesTs() {
            int tokens = test.prompt() + test.generate();
            return Arrays.stream(samplesNs).mapToDouble(ns -> 1e9 * tokens / ns).toArray();
        }

        public double avgTs() {
            return mean(samplesTs());
        }

        public double stddevTs() {
            return stddev(samplesTs());
        }

        public long avgNs() {
            return (long) mean(Arrays.stream(samplesNs).asDoubleStream().toArray());
        }

        public long stddevNs() {
            return (long) stddev(Arrays.stream(samplesNs).asDoubleStream().toArray());
        }

        private static double mean(double[] v) {
            return Arrays.stream(v).average().orElse(0);
        }

        /** Sample standard deviation, as llama-bench computes it (0 for one sample). */
        private static double stddev(double[] v) {
            if (v.length < 2) {
                return 0;
            }
            double m = mean(v);
            return Math.sqrt(Arrays.stream(v).map(x -> (x - m) * (x - m)).sum() / (v.length - 1));
        }
    }

    public static Result run(Model model, Test test, Params params) {
        ContextParams cp = new ContextParams(test.prompt() + test.generate(), params.batch(), params.microBatch(), 1,
                params.threads(), params.threads(), params.flashAttention(), params.cacheTypeK(), params.cacheTypeV());
        Random random = new Random(42); // token ids do not change the work; a fixed seed keeps runs alike
        try (Context ctx = model.newContext(cp); Batch batch = new Batch(params.batch(), 1)) {
            // llama-bench warms up once. The JVM's JIT compiles for the first seconds of a process (this loop, and
            // what start-up loaded), and on a machine with as many cores as compute threads each compiler thread
            // stalls one of ggml's, which the others then wait for at the next barrier: a tg64 on a small model
            // measured 0.2 s inside that window read 0.78 of llama-bench (bench/jvm-cost). So warm up for at least
            // a second and until the JIT has been quiet for a while: a steady state, as llama-bench measures one.
            JitClock jit = new JitClock();
            long begin = System.nanoTime();
            while (true) {
                ctx.clearMemory();
                if (test.prompt() > 0) {
                    prompt(ctx, batch, test.prompt(), random);
                }
                if (test.generate() > 0) {
                    generate(ctx, batch, 1, test.prompt(), random);
                }
                long now = System.nanoTime();
                if (now - begin >= MAX_WARMUP_NANOS || now - begin >= WARMUP_NANOS && jit.quietFor(now) >= JIT_QUIET_NANOS) {
                    break;
                }
            }
            long[] samples = new long[params.repetitions()];
            for (int r = 0; r < samples.length; r++) {
                ctx.clearMemory();
                long start = System.nanoTime();
                if (test.prompt() > 0) {
                    prompt(ctx, batch, test.prompt(), random);
                }
                if (test.generate() > 0) {
                    generate(ctx, batch, test.generate(), test.prompt(), random);
                }
                samples[r] = System.nanoTime() - start;
            }
            return new Result(test, params, samples);
        }
    }

    private static void prompt(Context ctx, Batch batch, int n, Random random) {
        Vocab vocab = ctx.model().vocab();
        for (int done = 0; done < n; ) {
            batch.clear();
            int chunk = Math.min(n - done, batch.capacity());
            for (int i = 0; i < chunk; i++) {
                int token = done == 0 && i == 0 && vocab.addsBos() ? vocab.bos() : random.nextInt(vocab.size());
                batch.add(token, done + i, 0, i == chunk - 1);
            }
            ctx.decode(batch);
            done += chunk;
        }
        ctx.synchronize();
    }

    private static void generate(Context ctx, Batch batch, int n, int startPosition, Random random) {
        Vocab vocab = ctx.model().vocab();
        int token = vocab.addsBos() ? vocab.bos() : random.nextInt(vocab.size());
        for (int i = 0; i < n; i++) {
            batch.clear();
            batch.add(token, startPosition + i, 0, true);
            ctx.decode(batch);
            ctx.synchronize();
            token = random.nextInt(vocab.size());
        }
    }

    /** When the JIT last finished a compilation, as far as the JVM's compilation bean can tell. */
    private static final class JitClock {
        private final java.lang.management.CompilationMXBean bean = java.lang.management.ManagementFactory.getCompilationMXBean();
        private final boolean supported = bean != null && bean.isCompilationTimeMonitoringSupported();
        private long total = supported ? bean.getTotalCompilationTime() : 0;
        private long changedAt = System.nanoTime();

        /** Nanoseconds since the compilation total last grew (all of them when there is no JIT to ask). */
        long quietFor(long now) {
            if (!supported) {
                return Long.MAX_VALUE;
            }
            long t = bean.getTotalCompilationTime();
            if (t != total) {
                total = t;
                changedAt = now;
            }
            return now - changedAt;
        }
    }
}
