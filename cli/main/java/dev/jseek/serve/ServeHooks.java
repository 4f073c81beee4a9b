package dev.jseek.serve;

import dev.jseek.chat.ChatTurn;

/**
 * Points where tests hold or watch the server, so that queueing and cancellation are tested with latches instead
 * of sleeps. The server calls them on the request's own thread; the defaults do nothing.
 */
interface ServeHooks {
    ServeHooks NONE = new ServeHooks() {
    };

    /** A request has its slot and is about to generate. */
    default void slotTaken(int slot) throws InterruptedException {
    }

    /** A request's turn ended (cancelled included) and its slot is free again. */
    default void turnEnded(int slot, ChatTurn turn) {
    }
}
