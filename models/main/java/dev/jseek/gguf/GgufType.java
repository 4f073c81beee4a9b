package dev.jseek.gguf;

import java.util.Optional;

/** The metadata value types of GGUF (enum gguf_type), with the size of one element in bytes. */
public enum GgufType {
    UINT8(0, "u8", 1),
    INT8(1, "i8", 1),
    UINT16(2, "u16", 2),
    INT16(3, "i16", 2),
    UINT32(4, "u32", 4),
    INT32(5, "i32", 4),
    FLOAT32(6, "f32", 4),
    BOOL(7, "bool", 1),
    /** Length-prefixed UTF-8: 8 bytes of length, then the bytes, no terminator. */
    STRING(8, "str", 8),
    ARRAY(9, "arr", 4 + 8),
    UINT64(10, "u64", 8),
    INT64(11, "i64", 8),
    FLOAT64(12, "f64", 8);

    private static final GgufType[] BY_ID = values();

    private final int id;
    private final String ggufName;
    private final int minimumSize;

    GgufType(int id, String ggufName, int minimumSize) {
        this.id = id;
        this.ggufName = ggufName;
        this.minimumSize = minimumSize;
    }

    public int id() {
        return id;
    }

    /** The name gguf.cpp prints (gguf_type_name), e.g. {@code u32}. */
    public String ggufName() {
        return ggufName;
    }

    /** The fewest bytes one value of this type takes in a file; the exact size for fixed-size types. */
    int minimumSize() {
        return minimumSize;
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    public static Optional<GgufType> fromId(int id) {
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[id]) : Optional.empty();
    }
}
