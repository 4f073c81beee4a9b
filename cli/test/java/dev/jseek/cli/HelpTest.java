package dev.jseek.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

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
}
