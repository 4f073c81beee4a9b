package dev.jseek.models;

/**
 * SplitMix64 (Steele, Lea and Flood 2014) with Gaussian draws by the Marsaglia polar method.
 * Written out here, with StrictMath, because generated weights must be bit-identical on every JDK and
 * CPU: java.util's generators do not promise their algorithms across releases, and Math.log may differ
 * in the last bit between platforms.
 */
final class SplitMix64 {
    private static final long GOLDEN_GAMMA = 0x9E37_79B9_7F4A_7C15L;

    private long state;
    private double spareGaussian;
    private boolean hasSpare;

    SplitMix64(long seed) {
        this.state = seed;
    }

    /** A generator for one named stream of a seed, so adding a stream never shifts the others. */
    static SplitMix64 forStream(long seed, String name) {
        long h = mix(seed);
        for (int i = 0; i < name.length(); i++) {
            h = mix(h ^ name.charAt(i));
        }
        return new SplitMix64(h);
    }

    long nextLong() {
        state += GOLDEN_GAMMA;
        return mix(state);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spareGaussian;
        }
        double u, v, s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double factor = StrictMath.sqrt(-2 * StrictMath.log(s) / s);
        spareGaussian = v * factor;
        hasSpare = true;
        return u * factor;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }
}
