package dev.jseek.cli;

import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTurn;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "read the prompt from a file")
    Path file;

    @Mixin
    ChatFlags chat = new ChatFlags();

    @Option(names = "--reasoning", paramLabel = "WHERE", defaultValue = "stderr",
            description = "where the reasoning goes: stderr or drop (default: ${DEFAULT-VALUE})")
    String reasoning;

    @Option(names = "--json", description = "print one JSON record: reasoning, answer, stop reason and stats")
    boolean json;

    @Option(names = "--raw", description = "complete the prompt as raw text (no chat template, no reasoning split)")
    boolean raw;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Every value is checked before the model loads, so a typo costs no waiting.
        if (chat.maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be at least 1, not " + chat.maxTokens);
        }
        if (!reasoning.equals("stderr") && !reasoning.equals("drop")) {
            throw new IllegalArgumentException("--reasoning must be stderr or drop, not '" + reasoning + "'");
        }
        SamplerParams samplerParams = sampling.params();
        ContextParams contextParams = modelOptions.contextParams();
        ChatOptions options = raw ? null : chat.options(contextParams, samplerParams);
        String prompt = readPrompt();
        try (Model model = modelOptions.load(err)) {
            if (raw) {
                return complete(model, contextParams, samplerParams, prompt, out, err);
            }
            try (ChatSession session = new ChatSession(model, options)) {
                session.setSystemPrompt(chat.system);
                ChatTurn turn = session.send(prompt, json ? ChatListener.silent() : streaming(out, err));
                if (json) {
                    out.println(toJson(turn));
                } else {
                    out.println();
                    printStats(err, turn);
                }
                out.flush();
            }
        }
        return ExitCodes.OK;
    }

    private ChatListener streaming(PrintWriter out, PrintWriter err) {
        boolean showReasoning = reasoning.equals("stderr");
        return new ChatListener() {
            @Override
            public void onReasoning(String text) {
                if (showReasoning) {
                    err.print(text);
                    err.flush();
                }
            }

            @Override
            public void onAnswer(String text) {
                out.print(text);
                out.flush();
            }

            @Override
            public void onNotice(String message) {
                err.println("jseek: " + message);
            }
        };
    }

    static String toJson(ChatTurn turn) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode record = mapper.createObjectNode();
        record.put("reasoning", turn.reasoning());
        record.put("answer", turn.answer());
        record.put("stop", turn.stop().name().toLowerCase(Locale.ROOT));
        ChatTurn.Stats s = turn.stats();
        ObjectNode stats = record.putObject("stats");
        stats.put("prompt_tokens", s.promptTokens());
        stats.put("prompt_tokens_per_second", s.promptTokensPerSecond());
        stats.put("generated_tokens", s.generatedTokens());
        stats.put("reasoning_tokens", s.reasoningTokens());
        stats.put("generation_tokens_per_second", s.generationTokensPerSecond());
        stats.put("first_token_seconds", s.firstTokenNanos() / 1e9);
        stats.put("reasoning_seconds", s.reasoningNanos() / 1e9);
        return record.toString();
    }

    private static void printStats(PrintWriter err, ChatTurn turn) {
        ChatTurn.Stats s = turn.stats();
        err.printf(Locale.ROOT, "%njseek: %d tokens (%d reasoning) at %.1f tok/s, prompt %d tokens at %.1f tok/s, stopped: %s%n",
                s.generatedTokens(), s.reasoningTokens(), s.generationTokensPerSecond(), s.promptTokens(),
                s.promptTokensPerSecond(), turn.stop().name().toLowerCase(Locale.ROOT).replace('_', ' '));
        err.flush();
    }

    /** --raw: the prompt's continuation, as llama.cpp's own completion tools produce it. */
    private int complete(Model model, ContextParams contextParams, SamplerParams samplerParams, String prompt,
                         PrintWriter out, PrintWriter err) {
        try (Context context = model.newContext(contextParams);
             Sampler sampler = new Sampler(model.vocab(), samplerParams);
             Generator generator = new Generator(context, 0)) {
            int[] tokens = model.vocab().tokenize(prompt, true, false);
            Generator.Result result = generator.generate(tokens, sampler, chat.maxTokens, (token, text) -> {
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

    private String readPrompt() throws IOException {
        if (file != null) {
            if (!words.isEmpty()) {
                throw new IllegalArgumentException("give the prompt either as arguments or with --file, not both");
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        }
        if (!words.isEmpty() && !words.equals(List.of("-"))) {
            return String.join(" ", words);
        }
        if (System.console() != null && System.console().isTerminal() && words.isEmpty()) {
            throw new IllegalArgumentException("no prompt given: pass it as an argument, with --file, or on stdin");
        }
        return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
