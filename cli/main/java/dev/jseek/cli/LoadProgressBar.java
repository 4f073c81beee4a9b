package dev.jseek.cli;

import dev.jseek.Model;

import dev.jseek.ModelParams;

import java.io.PrintWriter;

/** Model-load progress: shown only on a terminal and only once loading has taken long enough to notice. */
final class LoadProgressBar implements ModelParams.LoadProgress {
    private static final long SHOW_AFTER_NANOS = 300_000_000L;

    private final PrintWriter err;
    private final String name;
    private final long start = System.nanoTime();
    private ProgressReporter reporter;

    LoadProgressBar(PrintWriter err, String name) {
        this.err = err;
        this.name = name;
    }

    @Override
    public boolean onProgress(float fraction) {
        if (reporter == null && ProgressReporter.TERMINAL && System.nanoTime() - start >= SHOW_AFTER_NANOS) {
            reporter = ProgressReporter.start(err, "loading " + name, 100, "%", 1);
        }
        if (reporter != null) {
            reporter.stepTo(Math.round(fraction * 100));
        }
        return true;
    }

    void finish() {
        if (reporter != null) {
            reporter.close();
        }
    }
}
