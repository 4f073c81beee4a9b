package dev.jseek.cli;

import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTurn;
import dev.jseek.chat.ToolCall;

import dev.jseek.Generator;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.terminal.Terminal;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The chat loop: reads a message or a slash command, streams the reply, prints its speed. */
final class Repl {
    private static final String MULTILINE = "\"\"\"";
    private static final org.jline.utils.AttributedStyle TOOL_CALL =
            org.jline.utils.AttributedStyle.BOLD.foreground(org.jline.utils.AttributedStyle.CYAN);

    private final Terminal terminal;
    private final ChatSession session;
    private final boolean styled;
    private final LineReader reader;
    private final PrintWriter out;
    private final SlashCommands commands;
    ReasoningDisplay display;
    ChatTurn lastTurn;

    Repl(Terminal terminal, ChatSession session, ReasoningDisplay display, boolean styled, Path historyFile) throws IOException {
        this.terminal = terminal;
        this.session = session;
        this.display = display;
        this.styled = styled;
        this.out = terminal.writer();
        this.commands = new SlashCommands(this, session, out);
        Files.createDirectories(historyFile.toAbsolutePath().getParent());
        this.reader = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("jseek")
                .completer(SlashCommands.completer())
                .variable(LineReader.HISTORY_FILE, historyFile)
                .variable(LineReader.SECONDARY_PROMPT_PATTERN, "... ")
                .build();
    }

    int run() {
        out.println("jseek chat: " + session.template() + ". /help for commands, Ctrl-D to quit.");
        out.flush();
        boolean interruptedOnce = false;
        while (true) {
            String line;
            try {
                line = reader.readLine(">>> ");
                interruptedOnce = false;
            } catch (UserInterruptException e) {
                if (e.getPartialLine().isEmpty() && interruptedOnce) {
                    return ExitCodes.OK;
                }
                interruptedOnce = e.getPartialLine().isEmpty();
                if (interruptedOnce) {
                    out.println("(Ctrl-C again or Ctrl-D to quit)");
                }
                continue;
            } catch (EndOfFileException e) {
                return ExitCodes.OK;
            }
            String input = line.strip().equals(MULTILINE) ? readBlock() : line;
            if (input == null) {
                return ExitCodes.OK;
            }
            if (input.isBlank()) {
                continue;
            }
            try {
                if (input.startsWith("/")) {
                    if (!commands.run(input.strip())) {
                        return ExitCodes.OK;
                    }
                } else {
                    reply(() -> session.send(input, printerFor()));
                }
            } catch (RuntimeException e) {
                // One line, and the conversation goes on: a failed command or reply must not end the session.
                out.println("jseek: " + ExitCodes.sentence(e));
                if (Verbosity.isVerbose()) {
                    e.printStackTrace(out);
                }
                out.flush();
            }
        }
    }

    /** Lines up to a closing """, for pasting or typing multi-line messages. */
    private String readBlock() {
        StringBuilder block = new StringBuilder();
        while (true) {
            String line;
            try {
                line = reader.readLine("... ");
            } catch (UserInterruptException e) {
                return "";
            } catch (EndOfFileException e) {
                return block.isEmpty() ? null : block.toString();
            }
            if (line.strip().equals(MULTILINE)) {
                return block.toString();
            }
            block.append(block.isEmpty() ? "" : "\n").append(line);
        }
    }

    private ReplyPrinter printer;

    private ReplyPrinter printerFor() {
        printer = new ReplyPrinter(out, styled, display);
        return printer;
    }

    /** Runs a turn with Ctrl-C wired to cancel it, then prints the turn's speed. */
    void reply(java.util.function.Supplier<ChatTurn> turnSupplier) {
        Terminal.SignalHandler previous = terminal.handle(Terminal.Signal.INT, signal -> session.cancel());
        ChatTurn turn;
        try {
            turn = turnSupplier.get();
        } finally {
            terminal.handle(Terminal.Signal.INT, previous);
            if (printer != null) {
                printer.finish();
            }
        }
        lastTurn = turn;
        printToolCalls(turn);
        ChatTurn.Stats s = turn.stats();
        String note = turn.stop() == Generator.StopReason.CANCELLED ? "[stopped] " : "";
        String line = String.format(Locale.ROOT, "%s%.1f tok/s, %d tokens (%d reasoning), first token after %.2f s",
                note, s.generationTokensPerSecond(), s.generatedTokens(), s.reasoningTokens(), s.firstTokenNanos() / 1e9);
        out.println(styled ? new org.jline.utils.AttributedString(line, org.jline.utils.AttributedStyle.DEFAULT.faint()).toAnsi() : line);
        out.flush();
    }

    /** Each call on a line of its own, set apart from the answer's text; /tool sends the result. */
    private void printToolCalls(ChatTurn turn) {
        for (ToolCall call : turn.toolCalls()) {
            String line = "\u2699 " + ToolCalls.display(call);
            out.println(styled ? new org.jline.utils.AttributedString(line, TOOL_CALL).toAnsi() : line);
        }
        if (!turn.toolCalls().isEmpty()) {
            String hint = "(/tool " + (turn.toolCalls().size() > 1 ? "ID " : "") + "RESULT sends the tool's result; ids: "
                    + String.join(", ", turn.toolCalls().stream().map(ToolCall::id).toList()) + ")";
            out.println(styled ? new org.jline.utils.AttributedString(hint, org.jline.utils.AttributedStyle.DEFAULT.faint()).toAnsi() : hint);
        }
    }

    ReplyPrinter newPrinter() {
        return printerFor();
    }
}
