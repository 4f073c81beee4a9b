package dev.jseek.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * What a run of {@code jseek ARGS} gave: its exit code, stdout and stderr. {@link #jseek} runs it in this JVM;
 * {@link Subprocess} in a JVM of its own.
 */
public record Outcome(int code, String out, String err) {
    /** Runs {@code jseek ARGS} in this JVM with stdout and stderr captured. */
    public static Outcome jseek(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new Outcome(code, out.toString(), err.toString());
    }
}
