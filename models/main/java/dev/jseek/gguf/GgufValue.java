package dev.jseek.gguf;

import java.util.Objects;

/**
 * One metadata value of a GGUF file, keeping its exact GGUF type so that writing it back gives the
 * same bytes. Integers of every width are held in a long (an unsigned 64-bit value as its bit pattern).
 */
public sealed interface GgufValue permits GgufValue.Int, GgufValue.Float32, GgufValue.Float64, GgufValue.Bool,
        GgufValue.Str, GgufArray {

    GgufType type();

    /** An integer of any of the eight integer types; the constructor checks the value fits the type. */
    record Int(GgufType type, long value) implements GgufValue {
        public Int {
            Objects.requireNonNull(type, "type");
            if (!type.isInteger()) {
                throw new IllegalArgumentException(type.ggufName() + " is not an integer type");
            }
            if (!fits(type, value)) {
                throw new IllegalArgumentException(value + " does not fit in " + type.ggufName());
            }
        }

        public static Int uint8(int value) {
            return new Int(GgufType.UINT8, value);
        }

        public static Int int8(int value) {
            return new Int(GgufType.INT8, value);
        }

        public static Int uint16(int value) {
            return new Int(GgufType.UINT16, value);
        }

        public static Int int16(int value) {
            return new Int(GgufType.INT16, value);
        }

        public static Int uint32(long value) {
            return new Int(GgufType.UINT32, value);
        }

        public static Int int32(int value) {
            return new Int(GgufType.INT32, value);
        }

        /** An unsigned 64-bit value given as its bit pattern: -1 stands for 2^64-1. */
        public static Int uint64(long bits) {
            return new Int(GgufType.UINT64, bits);
        }

        public static Int int64(long value) {
            return new Int(GgufType.INT64, value);
        }

        /** False only for a u64 above Long.MAX_VALUE, whose {@link #value()} is negative. */
        public boolean fitsInLong() {
            return type != GgufType.UINT64 || value >= 0;
        }

        static boolean fits(GgufType type, long value) {
            return switch (type) {
                case UINT8 -> value >= 0 && value <= 0xFF;
                case INT8 -> value >= Byte.MIN_VALUE && value <= Byte.MAX_VALUE;
                case UINT16 -> value >= 0 && value <= 0xFFFF;
                case INT16 -> value >= Short.MIN_VALUE && value <= Short.MAX_VALUE;
                case UINT32 -> value >= 0 && value <= 0xFFFF_FFFFL;
                case INT32 -> value >= Integer.MIN_VALUE && value <= Integer.MAX_VALUE;
                case UINT64, INT64 -> true;
                default -> false;
            };
        }
    }

    record Float32(float value) implements GgufValue {
        @Override
        public GgufType type() {
            return GgufType.FLOAT32;
        }
    }

    record Float64(double value) implements GgufValue {
        @Override
        public GgufType type() {
            return GgufType.FLOAT64;
        }
    }

    record Bool(boolean value) implements GgufValue {
        @Override
        public GgufType type() {
            return GgufType.BOOL;
        }
    }

    record Str(String value) implements GgufValue {
        public Str {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public GgufType type() {
            return GgufType.STRING;
        }
    }
}
