package dev.jseek.cli;

import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTurn;
import dev.jseek.chat.TemplateFeatures;
import dev.jseek.chat.ToolCall;

import dev.jseek.SamplerParams;

import org.jline.reader.Candidate;
import org.jline.reader.Completer;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The REPL's slash commands. Each returns whether the REPL goes on. */
final class SlashCommands {
    private static final List<String> NAMES = List.of("/help", "/reset", "/system", "/set", "/show", "/stats", "/save",
            "/load", "/regen", "/think", "/tool", "/exit");
    private static final List<String> SETTINGS = List.of("temperature", "top-p", "top-k", "min-p", "seed", "max-tokens",
            "reasoning-budget", "frequency-penalty", "presence-penalty");

    private final Repl repl;
    private final ChatSession session;
    private final PrintWriter out;

    SlashCommands(Repl repl, ChatSession session, PrintWriter out) {
        this.repl = repl;
        this.session = session;
        this.out = out;
    }

    /** Each command's fixed arguments, for Tab. */
    private static final Map<String, List<String>> ARGUMENTS = Map.of(
            "/set", SETTINGS,
            "/think", List.of("show", "hide", "collapse", "on", "off"),
            "/show", List.of("settings", "reasoning", "history"));

    /**
     * Tab completion: the command names for the first word, the command's arguments for the second. JLine puts a
     * candidate's value in place of the word under the cursor, so an argument's candidate is the argument alone
     * ("temperature", not "/set temperature", which JLine would insert whole, escaped, after "/set ").
     */
    static Completer completer() {
        return (reader, line, candidates) -> {
            List<String> words = line.words();
            List<String> values = switch (line.wordIndex()) {
                case 0 -> {
                    List<String> names = new ArrayList<>(NAMES);
                    names.add("/quit");
                    yield names;
                }
                case 1 -> ARGUMENTS.getOrDefault(words.getFirst(), List.of());
                default -> List.of();
            };
            values.forEach(v -> candidates.add(new Candidate(v)));
        };
    }

    boolean run(String line) {
        String[] words = line.split("\\s+", 3);
        String arg = words.length > 1 ? line.substring(words[0].length()).strip() : "";
        switch (words[0]) {
            case "/exit", "/quit", "/bye" -> {
                return false;
            }
            case "/help" -> help();
            case "/reset" -> {
                session.reset();
                say("Conversation cleared (the system prompt stays).");
            }
            case "/system" -> {
                if (arg.isEmpty()) {
                    say("System prompt: " + session.history().stream().filter(m -> m.role() == ChatMessage.Role.SYSTEM)
                            .map(ChatMessage::content).findFirst().orElse("(none)"));
                } else {
                    session.setSystemPrompt(arg);
                    say("System prompt set.");
                }
            }
            case "/set" -> set(words);
            case "/show" -> show(arg);
            case "/stats" -> stats();
            case "/save" -> save(path(arg, "/save"));
            case "/load" -> load(path(arg, "/load"));
            case "/regen" -> repl.reply(() -> session.regenerate(repl.newPrinter()));
            case "/think" -> think(arg);
            case "/tool" -> tool(arg);
            default -> say("Unknown command " + words[0] + "; /help lists them.");
        }
        return true;
    }

    private void help() {
        say("""
                /help                     this list
                /reset                    forget the conversation (keeps the system prompt)
                /system [TEXT]            show or set the system prompt
                /set PARAM VALUE          temperature, top-p, top-k, min-p, seed, max-tokens, reasoning-budget,
                                          frequency-penalty, presence-penalty
                /show settings|reasoning|history
                /stats                    figures of the last reply
                /save FILE, /load FILE    save or restore the conversation with its KV cache
                /regen                    answer the last message again
                /think [show|hide|collapse|on|off]
                                          show/hide/collapse the reasoning, or ask the model (not) to think:
                                          the template's switch (V3.1+), or R1's block closed for off
                /tool [ID] RESULT         send a tool's result for the last reply's call ID (or its only call)
                /exit                     quit (also Ctrl-D, or Ctrl-C twice)
                \"\"\"                       start or end a multi-line message
                Ctrl-C while it answers stops the answer.""");
    }

    private void set(String[] words) {
        if (words.length < 3) {
            throw new IllegalArgumentException("usage: /set PARAM VALUE, PARAM one of " + String.join(", ", SETTINGS));
        }
        String value = words[2].strip();
        ChatOptions o = session.options();
        SamplerParams s = o.sampling();
        try {
            ChatOptions next = switch (words[1].toLowerCase(Locale.ROOT)) {
                case "temperature", "temp" -> o.withSampling(s.withTemperature(Float.parseFloat(value)));
                case "top-p" -> o.withSampling(s.withTopP(Float.parseFloat(value)));
                case "top-k" -> o.withSampling(s.withTopK(Integer.parseInt(value)));
                case "min-p" -> o.withSampling(s.withMinP(Float.parseFloat(value)));
                case "seed" -> o.withSampling(s.withSeed(Long.parseLong(value)));
                case "max-tokens" -> o.withMaxTokens(Integer.parseInt(value));
                case "reasoning-budget" -> o.withReasoningBudget(Integer.parseInt(value));
                case "frequency-penalty" -> o.withSampling(s.withFrequencyPenalty(Float.parseFloat(value)));
                case "presence-penalty" -> o.withSampling(s.withPresencePenalty(Float.parseFloat(value)));
                default -> throw new IllegalArgumentException("unknown setting '" + words[1] + "'; one of " + String.join(", ", SETTINGS));
            };
            session.reconfigure(next);
            say(words[1] + " = " + value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is not a number");
        }
    }

    private void show(String what) {
        switch (what) {
            case "", "settings" -> {
                ChatOptions o = session.options();
                SamplerParams s = o.sampling();
                say(String.format(Locale.ROOT, "template: %s%ncontext: %d tokens%ntemperature %.2f, top-p %.2f, top-k %d, min-p %.2f, seed %d"
                                + "%npenalties over the last %d tokens: repeat %.2f, frequency %.2f, presence %.2f"
                                + "%nmax tokens %d, thinking %s, reasoning budget %s, reasoning display %s",
                        session.template(), session.contextSize(), s.temperature(), s.topP(), s.topK(), s.minP(), s.seed(),
                        s.repeatLastN(), s.repeatPenalty(), s.frequencyPenalty(), s.presencePenalty(),
                        o.maxTokens(), o.thinking() ? "on" : "off", o.reasoningBudget() < 0 ? "none" : o.reasoningBudget(),
                        repl.display.label()));
            }
            case "reasoning" -> say(repl.lastTurn == null || repl.lastTurn.reasoning().isEmpty()
                    ? "(no reasoning in the last reply)" : repl.lastTurn.reasoning().strip());
            case "history" -> session.history().forEach(m -> say(m.role().wireName() + ": " + m.content()
                    + m.toolCalls().stream().map(c -> " \u2699 " + ToolCalls.display(c)).collect(java.util.stream.Collectors.joining())));
            default -> throw new IllegalArgumentException("/show settings, /show reasoning or /show history");
        }
    }

    private void stats() {
        ChatTurn t = repl.lastTurn;
        if (t == null) {
            say("No reply yet.");
            return;
        }
        ChatTurn.Stats s = t.stats();
        say(String.format(Locale.ROOT, """
                        prompt:     %d tokens, %d decoded (the rest from the KV cache) at %.1f tok/s
                        first token after %.2f s
                        generated:  %d tokens (%d reasoning, %.1f s thinking) at %.1f tok/s
                        stopped:    %s""",
                s.promptTokens(), s.decodedPromptTokens(), s.promptTokensPerSecond(), s.firstTokenNanos() / 1e9,
                s.generatedTokens(), s.reasoningTokens(), s.reasoningNanos() / 1e9, s.generationTokensPerSecond(),
                t.stop().name().toLowerCase(Locale.ROOT).replace('_', ' ')));
    }

    private void think(String arg) {
        switch (arg) {
            case "" -> repl.display = repl.display == ReasoningDisplay.SHOW ? ReasoningDisplay.HIDE : ReasoningDisplay.SHOW;
            case "on", "off" -> {
                // the session does what the family needs: V3.1+ templates get enable_thinking, R1's open block is closed
                session.reconfigure(session.options().withThinking(arg.equals("on")));
                say(thinkingHow(arg.equals("on")));
            }
            default -> repl.display = ReasoningDisplay.parse(arg);
        }
        say("Reasoning: " + repl.display.label() + ", thinking " + (session.options().thinking() ? "on" : "off") + ".");
    }

    /** What /think on|off changes for this template, so the user knows what the model is told. */
    private String thinkingHow(boolean on) {
        TemplateFeatures f = session.templateFeatures();
        if (f.thinkingSwitch()) {
            return "The template's thinking switch is " + (on ? "on" : "off") + " from the next message.";
        }
        if (f.alwaysThinks() || session.template().prefillsThinking()) {
            return on ? "The model opens its reasoning as usual from the next message."
                    : "From the next message, the reasoning block is closed before the model writes.";
        }
        return "This template has no thinking control; the model may think anyway.";
    }

    /** /tool [ID] RESULT: the result of one of the last reply's calls, then the model's next reply. */
    private void tool(String arg) {
        List<ToolCall> calls = repl.lastTurn == null ? List.of() : repl.lastTurn.toolCalls();
        if (calls.isEmpty()) {
            throw new IllegalArgumentException("the last reply called no tool; /tool answers a call the model made");
        }
        String[] parts = arg.split("\\s+", 2);
        String id;
        String result;
        if (parts.length == 2 && calls.stream().anyMatch(c -> c.id().equals(parts[0]))) {
            id = parts[0];
            result = parts[1];
        } else if (calls.size() == 1) {
            id = calls.getFirst().id();
            result = arg;
        } else {
            throw new IllegalArgumentException("the last reply made " + calls.size() + " calls; say which: /tool ID RESULT, ID one of "
                    + String.join(", ", calls.stream().map(ToolCall::id).toList()));
        }
        if (result.isBlank()) {
            throw new IllegalArgumentException("give the tool's result: /tool " + (calls.size() > 1 ? id + " " : "") + "RESULT");
        }
        repl.reply(() -> session.send(ChatMessage.tool(id, result), repl.newPrinter()));
    }

    private void save(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("cannot save to " + file + ": the directory " + dir
                    + " does not exist; create it or pick another path");
        }
        if (Files.isDirectory(file)) {
            throw new IllegalArgumentException("cannot save to " + file + ": it is a directory; give a file name, e.g. /save chat.jseek");
        }
        session.save(file);
        say("Saved to " + file + ".");
    }

    private void load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("cannot load " + file + ": there is no such file; /save FILE writes one");
        }
        session.load(file);
        say("Loaded " + file + ": " + session.history().size() + " messages.");
    }

    private static Path path(String arg, String command) {
        if (arg.isEmpty()) {
            throw new IllegalArgumentException("give a file name, e.g. " + command + " chat.jseek");
        }
        try {
            return Path.of(arg);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("'" + arg + "' is not a usable file name: " + e.getReason());
        }
    }

    private void say(String text) {
        out.println(text);
        out.flush();
    }
}
