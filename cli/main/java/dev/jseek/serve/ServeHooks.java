package dev.jseek.serve;

import dev.jseek.chat.ChatTurn;

/**
 * Points where tests hold or watch the server, so that queueing and cancellation are tested with latches instead
 * of sleeps. The server calls them on the request's own thread; the defaults do nothing.
 */
interface ServeHooks {
    ServeHooks NONE = new ServeHooks() {
    };

    /** A request has its slot and is about to generate (on the engine's thread: every slot waits while this runs). */
    default void slotTaken(int slot) throws InterruptedException {
    }

    /** A request's turn ended (cancelled included; slot -1 and turn null: it failed) and its slot is free again. */
    default void turnEnded(int slot, ChatTurn turn) {
    }

    /** How often a non-streaming request writes its whitespace {@link Heartbeat}; tests make it zero (every token). */
    default java.time.Duration heartbeat() {
        return java.time.Duration.ofSeconds(1);
    }
}
