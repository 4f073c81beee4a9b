package dev.jseek.cli;

import dev.jseek.JseekException;
import dev.jseek.ModelLoadException;
import dev.jseek.NativeLibraryException;
import picocli.CommandLine;

/** Every exit code jseek uses, and the one place errors become them: one line on stderr, no stack trace unless --verbose. */
final class ExitCodes {
    static final int OK = 0;
    /** A runtime failure (decoding, context creation, I/O). */
    static final int FAILURE = 1;
    /** Bad arguments or option values. */
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
            case IllegalArgumentException i -> USAGE;
            case JseekException j -> FAILURE;
            default -> FAILURE;
        };
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        cli.getErr().println("jseek: " + message);
        if (Verbosity.isVerbose()) {
            e.printStackTrace(cli.getErr());
        }
        cli.getErr().flush();
        return code;
    }

    static int handleUsage(CommandLine.ParameterException e, String[] args) {
        CommandLine cli = e.getCommandLine();
        cli.getErr().println("jseek: " + e.getMessage());
        cli.getErr().println("Run '" + cli.getCommandSpec().qualifiedName() + " --help' for the options.");
        cli.getErr().flush();
        return USAGE;
    }
}
