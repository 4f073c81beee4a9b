/** The GGUF format (reader, writer, architecture checks) and the models jseek makes itself; no native code. */
module dev.jseek.models {
    exports dev.jseek.gguf;
    exports dev.jseek.models;
}
