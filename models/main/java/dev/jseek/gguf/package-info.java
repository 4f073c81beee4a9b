/**
 * The GGUF file format in pure Java: {@link dev.jseek.gguf.GgufReader} parses and validates a file's
 * header, metadata and tensor table without trusting any length in it; {@link dev.jseek.gguf.GgufWriter}
 * writes version 3 files byte for byte deterministically. Little-endian files only, like ggml.
 *
 * <p>Reference: ggml/include/gguf.h and ggml/src/gguf.cpp of the pinned llama.cpp release; the checks
 * mirror the ones gguf.cpp makes, so a file this reader accepts is one the pinned ggml accepts too.
 */
package dev.jseek.gguf;
