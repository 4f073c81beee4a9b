package dev.jseek.chat;

import java.util.Objects;

/**
 * A tool call parsed out of a model's reply by llama.cpp's own parser for the template's format.
 *
 * @param name      the function's name
 * @param arguments its arguments as JSON text
 * @param id        the call's id (llama.cpp's when the format carries one, else one jseek gives)
 */
public record ToolCall(String name, String arguments, String id) {
    public ToolCall {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(arguments, "arguments");
        Objects.requireNonNull(id, "id");
    }
}
