package dev.jseek.cli;

import org.jline.terminal.spi.SystemStream;
import org.jline.terminal.spi.TerminalProvider;

import java.util.List;

/**
 * Which of the standard streams is a terminal, one stream at a time. {@code System.console()} cannot say: it
 * answers for stdin and stdout together (null, or not a terminal, as soon as either is redirected), so
 * {@code jseek run > out.txt} would take a terminal stdin for a pipe and wait on it. JLine's providers ask the
 * OS per stream (isatty; the console API on Windows): FFM first, the others if it is unavailable.
 */
final class Terminals {
    private static final List<String> PROVIDERS = List.of("ffm", "jni", "exec");

    private Terminals() {
    }

    /** Whether stdin is a terminal: a person may be typing, so reading it to the end would wait for Ctrl-D. */
    static boolean stdinIsTerminal() {
        return Holder.STDIN;
    }

    /** Whether stderr is a terminal: progress may be drawn in place there. */
    static boolean stderrIsTerminal() {
        return Holder.STDERR;
    }

    /** Asked once per process: the streams do not change while it runs. */
    private static final class Holder {
        static final boolean STDIN = isTerminal(SystemStream.Input);
        static final boolean STDERR = isTerminal(SystemStream.Error);
    }

    private static boolean isTerminal(SystemStream stream) {
        for (String name : PROVIDERS) {
            try {
                return TerminalProvider.load(name).isSystemStream(stream);
            } catch (Exception | LinkageError e) {
                // this provider cannot run here (no native access, no library): try the next one
            }
        }
        return false;
    }
}
