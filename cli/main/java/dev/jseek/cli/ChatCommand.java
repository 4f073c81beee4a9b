package dev.jseek.cli;

import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;

import dev.jseek.ContextParams;
import dev.jseek.Model;
import dev.jseek.SamplerParams;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** An interactive chat in the terminal that shows the model's reasoning. */
@Command(name = "chat", description = "Chat with a model in the terminal; type /help for the commands.")
final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    ContextOptions context = new ContextOptions();

    @Mixin
    ChatFlags chat = new ChatFlags();

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "4096",
            description = "most tokens per reply, reasoning included (default: ${DEFAULT-VALUE}; "
                    + ChatFlags.DEMO_MAX_TOKENS + " with the demo model)")
    int maxTokens;

    @Option(names = "--reasoning", paramLabel = "MODE", defaultValue = "show",
            description = "show, hide or collapse the reasoning (default: ${DEFAULT-VALUE}); /think toggles it")
    String reasoning;

    @Option(names = "--history-file", paramLabel = "FILE", description = "input history (default: ~/.jseek/history)")
    Path historyFile;

    @Option(names = "--no-color", description = "no colours or styles (also when the terminal is dumb or output is piped)")
    boolean noColor;

    @Override
    public Integer call() throws IOException {
        ReasoningDisplay display = ReasoningDisplay.parse(reasoning);
        SamplerParams samplerParams = sampling.params();
        ContextParams contextParams = context.contextParams(modelOptions.threads);
        boolean demo = modelOptions.demo();
        ChatOptions options = chat.options(contextParams, samplerParams, maxTokens, demo);
        Path history = historyFile != null ? historyFile : Path.of(System.getProperty("user.home"), ".jseek", "history");
        try (Terminal terminal = TerminalBuilder.builder().system(true).build();
             Model model = modelOptions.load(spec.commandLine().getErr(), chat.demoNote(maxTokens, demo));
             ChatTemplate template = chat.openTemplate(model);
             ChatSession session = new ChatSession(model, options.withTemplate(template))) {
            session.setSystemPrompt(chat.system);
            // a template that cannot render these flags (e.g. an unknown reasoning effort) says so now, not at the first message
            ChatFlags.render(session, ChatMessage.user("Hello"));
            boolean styled = !noColor && !terminal.getType().startsWith("dumb");
            return new Repl(terminal, session, display, styled, history).run();
        }
    }
}
