package dev.jseek.cli;

import dev.jseek.Context;
import dev.jseek.ContextParams;
import dev.jseek.Generator;
import dev.jseek.Model;
import dev.jseek.Sampler;
import dev.jseek.SamplerParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** One prompt in, the model's continuation on stdout. Never waits for input from a terminal. */
@Command(name = "run", description = "Complete one prompt (argument, --file or stdin) and print the result.")
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

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "256",
            description = "most tokens to generate (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (maxTokens < 0) {
            throw new IllegalArgumentException("--max-tokens must not be negative, not " + maxTokens);
        }
        // Every value is checked before the model loads, so a typo costs no waiting.
        SamplerParams samplerParams = sampling.params();
        ContextParams contextParams = modelOptions.contextParams();
        String prompt = readPrompt();
        try (Model model = modelOptions.load(err);
             Context context = model.newContext(contextParams);
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
            err.printf("jseek: %d tokens at %.1f tok/s (prompt: %d tokens at %.1f tok/s), stopped: %s%n",
                    s.generatedTokens(), s.generationTokensPerSecond(), s.promptTokens(), s.promptTokensPerSecond(),
                    result.stopReason().name().toLowerCase().replace('_', ' '));
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
