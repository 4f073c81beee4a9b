package dev.jseek.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;

/** The {@code jseek} command: subcommands, one class each; exit codes are mapped in {@link ExitCodes}. */
// INHERIT: every subcommand gets -h/--help and -V/--version too, not only the top command
@Command(name = "jseek", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, versionProvider = VersionProvider.class,
        description = "Run DeepSeek GGUF models through llama.cpp from Java.",
        subcommands = {ChatCommand.class, RunCommand.class, BatchCommand.class, ModelInfoCommand.class, BenchmarkCommand.class, DevicesCommand.class,
                QuantizeModelCommand.class, ModelsCommand.class, PullCommand.class, WorkerCommand.class, FitCommand.class, ServeCommand.class,
                CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs a command line with the given streams (tests capture them) and returns the exit code. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(ExitCodes::handle);
        cli.setParameterExceptionHandler(ExitCodes::handleUsage);
        return cli.execute(args);
    }
}
