package dev.jseek.cli;

import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatTemplate;

import dev.jseek.ContextParams;
import dev.jseek.SamplerParams;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.Locale;

/**
 * The conversation flags `chat`, `run` and `batch` share, and what the demo model gets when they are not given:
 * its random weights never close their reasoning, so an unbounded reply is thousands of tokens of noise until the
 * context is full. A short one shows the product instead: some reasoning, then an answer.
 */
final class ChatFlags {
    /** The demo's reply length unless -n is given: reasoning plus an answer, a second or two on a laptop. */
    static final int DEMO_MAX_TOKENS = 80;
    /** The demo's reasoning unless --reasoning-budget is given: then </think> is forced and the answer follows. */
    static final int DEMO_REASONING_BUDGET = 24;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--system", paramLabel = "TEXT", description = "system prompt (default: none)")
    String system;

    @Option(names = "--template", paramLabel = "NAME",
            description = "a built-in chat template instead of the model's, e.g. deepseek3 (default: the model's own)")
    String template;

    @Option(names = "--no-think", description = "ask reasoning models not to think (pre-fills an empty reasoning block)")
    boolean noThink;

    @Option(names = "--reasoning-budget", paramLabel = "N", defaultValue = "-1",
            description = "most reasoning tokens before </think> is forced; -1 = no limit (default: ${DEFAULT-VALUE}; "
                    + DEMO_REASONING_BUDGET + " with the demo model)")
    int reasoningBudget;

    /** Session options from these flags; every value is checked here, before any model loads. */
    ChatOptions options(ContextParams context, SamplerParams sampling, int maxTokens, boolean demo) {
        return ChatOptions.defaults().withContext(context).withSampling(sampling).withMaxTokens(maxTokens(maxTokens, demo))
                .withThinking(!noThink).withReasoningBudget(reasoningBudget(demo)).withTemplate(template());
    }

    ChatTemplate template() {
        return template == null ? null : ChatTemplate.named(template);
    }

    int reasoningBudget(boolean demo) {
        return demo && !given("--reasoning-budget") ? DEMO_REASONING_BUDGET : reasoningBudget;
    }

    /** The -n value, or the demo's when the demo runs and -n was not given. */
    int maxTokens(int given, boolean demo) {
        return demo && !given("--max-tokens") ? DEMO_MAX_TOKENS : given;
    }

    /** What the demo's one line on stderr adds about reply length: nothing when the user chose both. */
    String demoNote(int maxTokens, boolean demo) {
        if (!demo || (given("--max-tokens") && given("--reasoning-budget"))) {
            return "";
        }
        int budget = reasoningBudget(true);
        return String.format(Locale.ROOT, ", so replies are kept short (%d tokens%s; -n and --reasoning-budget change that)",
                maxTokens(maxTokens, true), budget < 0 ? "" : ", " + budget + " of them reasoning");
    }

    private boolean given(String option) {
        return command.commandLine().getParseResult().hasMatchedOption(option);
    }
}
