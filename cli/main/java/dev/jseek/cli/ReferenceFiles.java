package dev.jseek.cli;

import picocli.AutoComplete;
import picocli.CommandLine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Writes what an installed jseek carries beside its binary (cli/image/build.sh runs it): the bash/zsh completion
 * script (Picocli's AutoComplete) and one man page per command holding that command's {@code --help} text, under
 * {@code DIR/bash-completion/completions/jseek} and {@code DIR/man/man1/}, the layout of a {@code share} directory.
 */
public final class ReferenceFiles {
    private ReferenceFiles() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ReferenceFiles SHARE_DIR");
            System.exit(2);
        }
        write(Path.of(args[0]));
    }

    /** Writes the completion script and the man pages under {@code share}; returns the files written. */
    public static List<Path> write(Path share) throws IOException {
        CommandLine root = new CommandLine(new Main());
        List<Path> written = new ArrayList<>();
        Path completion = share.resolve("bash-completion/completions/jseek");
        Files.createDirectories(completion.getParent());
        written.add(Files.writeString(completion, AutoComplete.bash("jseek", root)));
        Path man = Files.createDirectories(share.resolve("man/man1"));
        for (CommandLine command : commands(root)) {
            String name = command.getCommandSpec().qualifiedName("-");
            written.add(Files.writeString(man.resolve(name + ".1"), manPage(name, command)));
        }
        return written;
    }

    /** The command and its subcommands, depth first; Picocli's generic {@code help} command has no page of its own. */
    private static List<CommandLine> commands(CommandLine command) {
        List<CommandLine> all = new ArrayList<>(List.of(command));
        command.getSubcommands().forEach((name, sub) -> {
            // aliases map to the same CommandLine: one page each
            if (!name.equals("help") && name.equals(sub.getCommandName())) {
                all.addAll(commands(sub));
            }
        });
        return all;
    }

    /** A man page whose body is the --help text verbatim, so `man jseek-run` and `jseek run --help` never differ. */
    static String manPage(String name, CommandLine command) {
        command.setUsageHelpWidth(80);
        String[] description = command.getCommandSpec().usageMessage().description();
        String summary = description.length == 0 ? "" : description[0].replaceAll("%n.*", "");
        String usage = command.getUsageMessage(CommandLine.Help.Ansi.OFF);
        String body = usage.lines().map(ReferenceFiles::roffLine).collect(Collectors.joining("\n"));
        return ".TH " + name.toUpperCase(java.util.Locale.ROOT) + " 1 \"\" \"jseek " + VersionProvider.jseekVersion() + "\" \"jseek manual\"\n"
                + ".SH NAME\n" + name + " \\- " + roffText(summary) + "\n"
                + ".SH DESCRIPTION\n.nf\n" + body + "\n.fi\n";
    }

    /** One line of preformatted text: backslashes escaped, and a leading dot or quote kept from reading as a request. */
    private static String roffLine(String line) {
        String text = roffText(line);
        return text.startsWith(".") || text.startsWith("'") ? "\\&" + text : text;
    }

    private static String roffText(String text) {
        return text.replace("\\", "\\e");
    }
}
