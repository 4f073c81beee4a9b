package dev.jseek.cli;

import dev.jseek.InvalidRequestException;
import dev.jseek.ModelLoadException;
import dev.jseek.NativeLibraryException;
import picocli.CommandLine;

/** Every exit code jseek uses, and the one place errors become them: one line on stderr, no stack trace unless --verbose. */
final class ExitCodes {
    static final int OK = 0;
    /** A runtime failure (decoding, context creation, I/O). */
    static final int FAILURE = 1;
    /**
     * The caller's mistake: bad arguments or option values, and everything the runtime reports as an
     * {@link InvalidRequestException} (a grammar or JSON Schema it cannot use, a template that refuses the
     * conversation, a prompt that does not fit). {@link IllegalArgumentException} is the CLI's own option checks'.
     */
    static final int USAGE = 2;
    /** The model file is missing, unreadable or not a usable GGUF. */
    static final int MODEL = 3;
    /** The llama.cpp libraries are missing or cannot be loaded. */
    static final int NATIVE = 4;
    /**
     * llama.cpp ended the process because an RPC worker was lost or unreachable mid-run. Java never returns this:
     * ggml's RPC client aborts, and jseek's abort handler (native/shim/jseek_abort.c, JSEEK_EXIT_NATIVE_FAILURE)
     * exits with it after one line on stderr. Listed here so that every code jseek ends with is in one place.
     */
    static final int RPC_LOST = 5;

    private ExitCodes() {
    }

    static int handle(Exception e, CommandLine cli, CommandLine.ParseResult parseResult) {
        int code = switch (e) {
            case ModelLoadException m -> MODEL;
            case NativeLibraryException n -> NATIVE;
            case InvalidRequestException r -> USAGE;
            case IllegalArgumentException i -> USAGE;
            default -> FAILURE;
        };
        cli.getErr().println("jseek: " + sentence(e));
        if (Verbosity.isVerbose()) {
            e.printStackTrace(cli.getErr());
        }
        cli.getErr().flush();
        return code;
    }

    /**
     * The one line a failure is told in: its message, or, for an exception that has none (a bug, never an error
     * jseek reports on purpose), its kind and what to do, rather than a bare class name.
     */
    static String sentence(Throwable e) {
        String message = e.getMessage();
        return message != null && !message.isBlank() ? message
                : "an unexpected " + e.getClass().getSimpleName() + " inside jseek (a bug); run again with --verbose for the stack trace and report it";
    }

    static int handleUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        cli.getErr().println("jseek: " + e.getMessage());
        cli.getErr().println("Run '" + cli.getCommandSpec().qualifiedName() + " --help' for the options.");
        cli.getErr().flush();
        return USAGE;
    }
}
