package dev.jseek.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The completion script and man pages the image carries (ImageIT runs them in the built image). */
class ReferenceFilesTest {
    @TempDir
    Path share;

    @Test
    void everyCommandGetsAManPageWithItsHelpAndBashGetsOneCompletionScript() throws Exception {
        ReferenceFiles.write(share);
        CommandLine root = new CommandLine(new Main());
        for (String name : root.getSubcommands().keySet()) {
            Path page = share.resolve("man/man1/jseek-" + name + ".1");
            if (name.equals("help")) {
                assertFalse(Files.exists(page), "Picocli's help command has no page");
                continue;
            }
            String text = Files.readString(page);
            assertTrue(text.startsWith(".TH JSEEK-" + name.toUpperCase(java.util.Locale.ROOT) + " 1 "), text);
            assertTrue(text.contains("\n.nf\nUsage: jseek " + name), text);
        }
        assertTrue(Files.readString(share.resolve("man/man1/jseek.1")).contains("Usage: jseek [-hV] [COMMAND]"));
        String completion = Files.readString(share.resolve("bash-completion/completions/jseek"));
        assertTrue(completion.contains("complete -F _complete_jseek"), completion);
        assertTrue(completion.contains("ZSH_VERSION"), "the same script serves zsh through bashcompinit");
    }

    @Command(name = "demo", description = "Paths like C:\\jseek.%n.dot and 'quote start these lines.%n'quote too.")
    static final class Tricky {
        @Option(names = "--path", description = "a \\dir")
        String path;
    }

    @Test
    void roffRequestsAndEscapesInTheHelpStayText() {
        String page = ReferenceFiles.manPage("demo", new CommandLine(new Tricky()));
        assertTrue(page.contains("\ndemo \\- Paths like C:\\ejseek.\n"), page);
        assertTrue(page.contains("\n\\&.dot and 'quote start these lines.\n\\&'quote too.\n"), page);
        assertTrue(page.contains("a \\edir"), page);
        assertFalse(page.lines().anyMatch(l -> l.startsWith(".") && !l.matches("\\.(TH|SH|nf|fi)( .*)?")), page);
    }
}
