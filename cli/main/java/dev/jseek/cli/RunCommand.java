package dev.jseek.cli;

import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.chat.ChatTurn;
import dev.jseek.chat.ToolCall;

import dev.jseek.wire.TurnRecord;
import dev.jseek.Context;
import dev.jseek.ContextParams;
import dev.jseek.Generator;
import dev.jseek.Model;
import dev.jseek.Sampler;
import dev.jseek.SamplerParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * One prompt in, one answer out: the answer on stdout, reasoning on stderr (or dropped), or everything as one
 * JSON record. Never waits for input from a terminal.
 */
@Command(name = "run", description = "Answer one prompt (argument, --file or stdin) and exit.")
final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Parameters(paramLabel = "PROMPT", arity = "0..*", description = "the prompt; '-' or nothing reads stdin")
    List<String> words = List.of();

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "read the prompt from a file (default: none: the arguments, else stdin)")
    Path file;

    @Mixin
    ContextOptions context = new ContextOptions();

    @Mixin
    ChatFlags chat = new ChatFlags();

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "4096",
            description = "most tokens per reply, reasoning included (default: ${DEFAULT-VALUE}; "
                    + ChatFlags.DEMO_MAX_TOKENS + " with the demo model)")
    int maxTokens;

    @Option(names = "--reasoning", paramLabel = "WHERE", defaultValue = "stderr",
            description = "where the reasoning goes: stderr or drop (default: ${DEFAULT-VALUE})")
    String reasoning;

    @Option(names = "--json", description = "print one JSON record: reasoning, answer, stop reason and stats")
    boolean json;

    @Option(names = "--raw", description = "complete the prompt as raw text (no chat template, no reasoning split)")
    boolean raw;

    @Option(names = "--print-prompt", description = "print the prompt the chat template makes (exactly, to stdout) and its "
            + "token count (to stderr), and exit without generating")
    boolean printPrompt;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Every value is checked before the model loads, so a typo costs no waiting.
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be at least 1, not " + maxTokens);
        }
        if (!reasoning.equals("stderr") && !reasoning.equals("drop")) {
            throw new IllegalArgumentException("--reasoning must be stderr or drop, not '" + reasoning + "'");
        }
        SamplerParams samplerParams = sampling.params();
        ContextParams contextParams = context.contextParams(modelOptions.threads);
        boolean demo = modelOptions.demo();
        if (raw && printPrompt) {
            throw new IllegalArgumentException("--raw has no chat template, so there is no prompt to print; the prompt is the text itself");
        }
        ChatOptions options = raw ? null : chat.options(contextParams, samplerParams, maxTokens, demo);
        String prompt = readPrompt(err);
        try (Model model = modelOptions.load(err, chat.demoNote(maxTokens, demo))) {
            if (raw) {
                return complete(model, contextParams, samplerParams, prompt, chat.maxTokens(maxTokens, demo), out, err);
            }
            try (ChatTemplate template = chat.openTemplate(model);
                 ChatSession session = new ChatSession(model, options.withTemplate(template))) {
                session.setSystemPrompt(chat.system);
                ChatMessage message = ChatMessage.user(prompt);
                ChatSession.PromptPreview rendered = ChatFlags.render(session, message);
                if (printPrompt) {
                    out.print(rendered.text()); // exactly the prompt: no newline of ours
                    out.flush();
                    err.println("jseek: " + rendered.tokens() + " prompt tokens");
                    err.flush();
                    return ExitCodes.OK;
                }
                // with tools, the runtime streams the answer as llama.cpp's parser reads it: no call markup in it
                java.util.function.Consumer<String> answer = text -> {
                    out.print(text);
                    out.flush();
                };
                ChatTurn turn = session.send(message, json ? ChatListener.silent() : streaming(answer, err));
                if (json) {
                    out.println(toJson(turn));
                } else {
                    if (turn.answer().isEmpty() && !turn.reasoning().isEmpty() && reasoning.equals("stderr")) {
                        err.println("\n[/thinking]"); // no answer text closed the frame (a reply that only calls a tool)
                        err.flush();
                    }
                    if (!turn.answer().isEmpty() || turn.toolCalls().isEmpty()) {
                        out.println();
                    }
                    // calls are results too: stdout, one per line, after whatever the model said besides
                    for (ToolCall call : turn.toolCalls()) {
                        out.println("\u2699 " + ToolCalls.display(call));
                    }
                    printStats(err, turn);
                }
                out.flush();
            }
        }
        return ExitCodes.OK;
    }

    /** Streams to stdout (reasoning to stderr). */
    private ChatListener streaming(java.util.function.Consumer<String> answer, PrintWriter err) {
        boolean showReasoning = reasoning.equals("stderr");
        return new ChatListener() {
            private boolean reasoningShown;
            private boolean answering;

            @Override
            public void onReasoning(String text) {
                if (showReasoning) {
                    // framed, so that on a terminal (stderr and stdout together) the reasoning is not read as the answer
                    err.print(reasoningShown ? text : "[thinking]\n" + text);
                    err.flush();
                    reasoningShown = true;
                }
            }

            @Override
            public void onAnswer(String text) {
                if (!answering && reasoningShown) {
                    err.println("\n[/thinking]");
                    err.flush();
                }
                answering = true;
                answer.accept(text);
            }

            @Override
            public void onNotice(String message) {
                err.println("jseek: " + message);
            }
        };
    }

    static String toJson(ChatTurn turn) {
        return TurnRecord.of(turn).toString();
    }

    private static void printStats(PrintWriter err, ChatTurn turn) {
        ChatTurn.Stats s = turn.stats();
        err.printf(Locale.ROOT, "%njseek: %d tokens (%d reasoning) at %.1f tok/s, prompt %d tokens at %.1f tok/s, stopped: %s%n",
                s.generatedTokens(), s.reasoningTokens(), s.generationTokensPerSecond(), s.promptTokens(),
                s.promptTokensPerSecond(), turn.stop().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        err.flush();
    }

    /** --raw: the prompt's continuation, as llama.cpp's own completion tools produce it. */
    private int complete(Model model, ContextParams contextParams, SamplerParams samplerParams, String prompt, int maxTokens,
                         PrintWriter out, PrintWriter err) {
        try (Context context = model.newContext(contextParams);
             Sampler sampler = new Sampler(model.vocab(), samplerParams);
             Generator generator = new Generator(context, 0)) {
            int[] tokens = model.vocab().tokenize(prompt, true, false);
            Generator.Result result = generator.generate(tokens, sampler, maxTokens, (token, text) -> {
                out.print(text);
                out.flush();
            });
            out.println();
            out.flush();
            Generator.Stats s = result.stats();
            err.printf(Locale.ROOT, "jseek: %d tokens at %.1f tok/s (prompt: %d tokens at %.1f tok/s), stopped: %s%n",
                    s.generatedTokens(), s.generationTokensPerSecond(), s.promptTokens(), s.promptTokensPerSecond(),
                    result.stopReason().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        }
        return ExitCodes.OK;
    }

    /**
     * The prompt: the arguments, else --file, else stdin. A missing prompt is read from stdin only when stdin is a
     * pipe or a file: a terminal there means nobody piped anything in, and reading it would wait on the user
     * (an explicit '-' still reads it, to Ctrl-D, as `cat -` does).
     */
    private String readPrompt(PrintWriter err) throws IOException {
        String prompt;
        if (file != null) {
            if (!words.isEmpty()) {
                throw new IllegalArgumentException("give the prompt either as arguments or with --file, not both");
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("the prompt file " + file + " does not exist or is not a file; check the path");
            }
            prompt = Files.readString(file, StandardCharsets.UTF_8);
        } else if (!words.isEmpty() && !words.equals(List.of("-"))) {
            prompt = String.join(" ", words);
        } else if (words.isEmpty() && Terminals.stdinIsTerminal()) {
            throw new IllegalArgumentException("no prompt given: pass it as an argument (jseek run \"Why is the sea salty?\"), "
                    + "with --file FILE, or pipe it into stdin");
        } else {
            if (Terminals.stdinIsTerminal()) {
                err.println("jseek: reading the prompt from the terminal; end it with Ctrl-D.");
                err.flush();
            }
            prompt = new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        }
        if (prompt.isBlank()) {
            throw new IllegalArgumentException("the prompt is empty; pass it as an argument, with --file FILE, or on stdin");
        }
        return prompt;
    }
}
