package dev.jseek.cli;

import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.Logger;

/** --verbose: shows llama.cpp's log (routed by the runtime into java.util.logging) and stack traces. */
final class Verbosity {
    private static volatile boolean verbose;

    private Verbosity() {
    }

    static boolean isVerbose() {
        return verbose;
    }

    static void enable() {
        verbose = true;
        Logger llama = Logger.getLogger("dev.jseek");
        llama.setLevel(Level.ALL);
        ConsoleHandler handler = new ConsoleHandler(); // writes to stderr
        handler.setLevel(Level.ALL);
        llama.addHandler(handler);
        llama.setUseParentHandlers(false);
    }
}
