/**
 * The jseek runtime: DeepSeek GGUF models through llama.cpp. {@code dev.jseek} holds the core handles (model,
 * context, vocab, sampler, generator), {@code dev.jseek.chat} the conversations built on them,
 * {@code dev.jseek.wire} the HTTP APIs' request and reply shapes (OpenAI's) read and written in one place;
 * {@code dev.jseek.internal} (native handles, library loading, llama.cpp's log) is not exported.
 * Callers on the module path enable native access by name:
 * {@code --enable-native-access=dev.jseek,dev.jseek.bindings}.
 */
module dev.jseek {
    requires transitive dev.jseek.models;
    requires dev.jseek.bindings;
    requires com.fasterxml.jackson.databind; // chat requests and results (llama.cpp's chat library speaks JSON), the wire shapes
    requires jdk.management; // the free physical memory, for the memory check

    exports dev.jseek;
    exports dev.jseek.chat;
    exports dev.jseek.wire;
}
