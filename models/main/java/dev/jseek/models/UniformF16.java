package dev.jseek.models;

import java.nio.ByteBuffer;

/**
 * Random F16 weights for tensors too large to draw one Gaussian at a time: uniform on [-a, a] with the same
 * standard deviation, 4 values per 64-bit draw, each chunk from its own SplitMix64 stream so chunks can be made
 * in parallel and the file is the same on every machine.
 */
final class UniformF16 implements dev.jseek.gguf.GgufWriter.ChunkFiller {
    static final int CHUNK_BYTES = 8 << 20;

    private final long streamSeed;
    private final float scale;

    UniformF16(long seed, String tensorName, double std) {
        this.streamSeed = SplitMix64.forStream(seed, tensorName).nextLong();
        // uniform on [-a, a] has std a / sqrt(3); 16-bit draws are centred and scaled to that range
        this.scale = (float) (std * Math.sqrt(3) / 32768.0);
    }

    @Override
    public void fill(long index, ByteBuffer chunk) {
        var random = new SplitMix64(streamSeed ^ (index * 0x9E37_79B9_7F4A_7C15L));
        while (chunk.remaining() >= 8) {
            long bits = random.nextLong();
            for (int k = 0; k < 4; k++) {
                chunk.putShort(half((short) (bits >>> (16 * k))));
            }
        }
        while (chunk.remaining() >= 2) {
            chunk.putShort(half((short) random.nextLong()));
        }
    }

    private short half(short draw) {
        return Float.floatToFloat16((draw + 0.5f) * scale);
    }
}
