/**
 * Model files jseek makes itself: {@link dev.jseek.models.TinyDeepSeek} writes a tiny random-weight model
 * of the DeepSeek-V3/R1 architecture that the pinned llama.cpp loads and runs, for tests and demos.
 */
package dev.jseek.models;
