package dev.jseek;

/** A model file could not be loaded; the message names the file and llama.cpp's reason. */
public final class ModelLoadException extends JseekException {
    public ModelLoadException(String message) {
        super(message);
    }
}
