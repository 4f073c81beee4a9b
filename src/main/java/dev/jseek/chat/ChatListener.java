package dev.jseek.chat;

/** Receives a reply as it streams: reasoning and answer text separately, and notices about the session. */
public interface ChatListener {
    default void onReasoning(String text) {
    }

    default void onAnswer(String text) {
    }

    /** Something the user should know, e.g. that old turns were dropped to make room. */
    default void onNotice(String message) {
    }

    /** A listener that ignores everything (use the returned {@link ChatTurn}). */
    static ChatListener silent() {
        return new ChatListener() {
        };
    }
}
