package dev.jseek;

import java.util.Locale;

/**
 * The types llama.cpp can quantize a model to (enum llama_ftype), with the ones that need an importance matrix
 * marked: quantizing to those without one gives a badly damaged model, so jseek refuses.
 */
public enum QuantType {
    F32(0), F16(1), BF16(32), Q8_0(7), Q6_K(18), Q5_K_M(17), Q5_K_S(16), Q5_1(9), Q5_0(8), Q4_K_M(15), Q4_K_S(14),
    Q4_1(3), Q4_0(2), IQ4_NL(25), IQ4_XS(30), Q3_K_L(13), Q3_K_M(12), Q3_K_S(11), IQ3_M(27), IQ3_S(26), IQ3_XS(22),
    IQ3_XXS(23, true), Q2_K(10), Q2_K_S(21, true), IQ2_M(29, true), IQ2_S(28, true), IQ2_XS(20, true), IQ2_XXS(19, true),
    IQ1_M(31, true), IQ1_S(24, true), TQ1_0(36), TQ2_0(37);

    private final int ftype;
    private final boolean needsImportanceMatrix;

    QuantType(int ftype) {
        this(ftype, false);
    }

    QuantType(int ftype, boolean needsImportanceMatrix) {
        this.ftype = ftype;
        this.needsImportanceMatrix = needsImportanceMatrix;
    }

    int ftype() {
        return ftype;
    }

    public boolean needsImportanceMatrix() {
        return needsImportanceMatrix;
    }

    /** By name, case-insensitive ("q4_k_m", "Q8_0"). */
    public static QuantType named(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown quantization type '" + name + "'; e.g. Q4_K_M, Q5_K_M, Q6_K, Q8_0, F16");
        }
    }
}
