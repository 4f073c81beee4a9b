package dev.jseek.cli;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.PrintWriter;

/**
 * Progress on stderr for anything that takes seconds. On a terminal: a live bar (the progressbar library: rate,
 * ETA, redraw in place). Elsewhere (a pipe, a log, a test): one plain line per tenth, so logs stay readable.
 */
final class ProgressReporter implements AutoCloseable {
    /** Progress goes to stderr, so stderr alone decides: `jseek pull URL > path.txt` still shows the live bar. */
    static final boolean TERMINAL = Terminals.stderrIsTerminal();

    private final ProgressBar bar;
    private final PrintWriter err;
    private final String task;
    private long max;
    private int lastTenth = -1;

    private ProgressReporter(ProgressBar bar, PrintWriter err, String task, long max) {
        this.bar = bar;
        this.err = err;
        this.task = task;
        this.max = max;
    }

    /** A reporter counting to {@code max} (in {@code unit}s of {@code unitSize} for display; max -1 if unknown). */
    static ProgressReporter start(PrintWriter err, String task, long max, String unit, long unitSize) {
        ProgressBar bar = !TERMINAL ? null : new ProgressBarBuilder().setTaskName(task).setInitialMax(max)
                .setUnit(unit, unitSize).setStyle(ProgressBarStyle.ASCII).showSpeed()
                .setConsumer(new ConsoleProgressBarConsumer(System.err)).build();
        return new ProgressReporter(bar, err, task, max);
    }

    void maxHint(long newMax) {
        max = newMax;
        if (bar != null) {
            bar.maxHint(newMax);
        }
    }

    void stepTo(long n) {
        if (bar != null) {
            bar.stepTo(n);
            return;
        }
        if (max > 0) {
            int tenth = (int) Math.min(10, n * 10 / max);
            if (tenth != lastTenth) {
                lastTenth = tenth;
                err.println(task + ": " + tenth * 10 + "%");
                err.flush();
            }
        }
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
        }
    }
}
