package dev.jseek.cli;

import dev.jseek.ModelParams;

import java.io.PrintWriter;

/**
 * A one-line progress bar on stderr while a model loads: drawn only when stderr is a terminal and the load takes
 * long enough to notice, so logs and pipes never see carriage returns.
 */
final class LoadProgressBar implements ModelParams.LoadProgress {
    private static final int WIDTH = 30;
    private static final long SHOW_AFTER_NANOS = 300_000_000L;

    private static final boolean TERMINAL = System.console() != null && System.console().isTerminal();

    private final PrintWriter err;
    private final String name;
    private final long start = System.nanoTime();
    private boolean drawn;
    private int lastPercent = -1;

    LoadProgressBar(PrintWriter err, String name) {
        this.err = err;
        this.name = name;
    }

    @Override
    public boolean onProgress(float fraction) {
        int percent = Math.round(fraction * 100);
        if (!TERMINAL || percent == lastPercent || System.nanoTime() - start < SHOW_AFTER_NANOS) {
            return true;
        }
        lastPercent = percent;
        int filled = percent * WIDTH / 100;
        err.print("\rloading " + name + " [" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + percent + "%");
        err.flush();
        drawn = true;
        return true;
    }

    void finish() {
        if (drawn) {
            err.println();
            err.flush();
        }
    }
}
