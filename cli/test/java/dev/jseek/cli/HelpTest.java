package dev.jseek.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code jseek COMMAND --help} prints that command's usage on stdout and exits 0, for every command. */
class HelpTest {
    @Test
    void everyCommandAnswersHelp() {
        for (String name : new CommandLine(new Main()).getSubcommands().keySet()) {
            if (name.equals("help")) {
                continue;
            }
            for (String flag : new String[] {"--help", "-h"}) {
                StringWriter out = new StringWriter();
                StringWriter err = new StringWriter();
                int code = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), name, flag);
                assertEquals(0, code, name + " " + flag + ": " + err);
                assertTrue(out.toString().startsWith("Usage: jseek " + name), name + " " + flag + ":\n" + out);
                assertEquals("", err.toString(), name + " " + flag);
            }
        }
    }

    /** Every option that takes a value says in --help what it is when not given (and never "null"). */
    @Test
    void everyOptionThatTakesAValueSaysItsDefault() {
        List<String> missing = new ArrayList<>();
        CommandLine root = new CommandLine(new Main());
        for (CommandLine command : root.getSubcommands().values()) {
            for (CommandLine.Model.OptionSpec option : command.getCommandSpec().options()) {
                if (option.usageHelp() || option.versionHelp() || option.typeInfo().isBoolean()) {
                    continue;
                }
                String description = String.join(" ", option.description());
                String shown = command.getHelp().optionList();
                if (!description.contains("default") || shown.contains("default: null")) {
                    missing.add(command.getCommandName() + " " + option.longestName());
                }
            }
        }
        assertEquals(List.of(), missing, "options whose --help does not say the default");
    }
}
