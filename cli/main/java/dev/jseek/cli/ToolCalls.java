package dev.jseek.cli;

import dev.jseek.chat.ToolCall;

/** A tool call as one line for people; its wire shape is {@code dev.jseek.wire}'s. */
final class ToolCalls {
    private ToolCalls() {
    }

    /** get_weather({"city":"Paris"}) */
    static String display(ToolCall call) {
        return call.name() + "(" + call.arguments() + ")";
    }
}
