package dev.jseek.cli;

import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatTemplate;

import dev.jseek.ContextParams;
import dev.jseek.SamplerParams;
import picocli.CommandLine.Option;

/** The conversation flags `chat` and `run` share. */
final class ChatFlags {
    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt")
    String system;

    @Option(names = "--template", paramLabel = "NAME", description = "a built-in chat template instead of the model's, e.g. deepseek3")
    String template;

    @Option(names = "--no-think", description = "ask reasoning models not to think (pre-fills an empty reasoning block)")
    boolean noThink;

    @Option(names = "--reasoning-budget", paramLabel = "N", defaultValue = "-1",
            description = "most reasoning tokens before </think> is forced; -1 = no limit (default: ${DEFAULT-VALUE})")
    int reasoningBudget;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "4096",
            description = "most tokens per reply, reasoning included (default: ${DEFAULT-VALUE})")
    int maxTokens;

    /** Session options from these flags; every value is checked here, before any model loads. */
    ChatOptions options(ContextParams context, SamplerParams sampling) {
        return ChatOptions.defaults().withContext(context).withSampling(sampling).withMaxTokens(maxTokens)
                .withThinking(!noThink).withReasoningBudget(reasoningBudget)
                .withTemplate(template == null ? null : ChatTemplate.named(template));
    }
}
