package dev.jseek.cli;

import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.chat.ChatTools;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.ContextParams;
import dev.jseek.Grammar;
import dev.jseek.InvalidRequestException;
import dev.jseek.Model;
import dev.jseek.SamplerParams;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @Option(names = "--template", paramLabel = "NAME|FILE",
            description = "a Jinja template file, or a built-in template by name, e.g. deepseek3 (default: the model's own)")
    String template;

    @Option(names = "--think", paramLabel = "on|off",
            description = "let reasoning models think: the template's switch (V3.1+), or R1's block closed for off (default: on)")
    String think;

    @Option(names = "--no-think", description = "the same as --think off")
    boolean noThink;

    @Option(names = "--reasoning-effort", paramLabel = "LEVEL",
            description = "the template's reasoning-effort level, e.g. high or max for V4 (default: the template's)")
    String reasoningEffort;

    @Option(names = "--reasoning-budget", paramLabel = "N", defaultValue = "-1",
            description = "most reasoning tokens before </think> is forced; -1 = no limit (default: ${DEFAULT-VALUE}; "
                    + DEMO_REASONING_BUDGET + " with the demo model)")
    int reasoningBudget;

    @Option(names = "--tools", paramLabel = "FILE", description = "a JSON array of OpenAI-style function tools the model may call (default: none)")
    Path toolsFile;

    @Option(names = "--tool-choice", paramLabel = "auto|none|required", defaultValue = "auto",
            description = "whether the model may, must not or must call a tool (default: ${DEFAULT-VALUE})")
    String toolChoice;

    @Option(names = "--parallel-tool-calls", paramLabel = "on|off",
            description = "whether one reply may call several tools (default: the template's, as llama-server decides)")
    String parallelToolCalls;

    @Option(names = "--json-schema", paramLabel = "FILE|JSON",
            description = "constrain the answer to a JSON Schema: inline if it starts with '{', else a file (default: none)")
    String jsonSchema;

    @Option(names = "--grammar-file", paramLabel = "FILE", description = "constrain the answer to a GBNF grammar, llama.cpp's format (default: none)")
    Path grammarFile;

    @Option(names = "--stop", paramLabel = "TEXT", description = "end the answer before this text; repeatable (default: none)")
    List<String> stops = new ArrayList<>();

    /**
     * Session options from these flags, without the template (a template file needs the model: see
     * {@link #openTemplate}); every value is checked here, before any model loads.
     */
    ChatOptions options(ContextParams context, SamplerParams sampling, int maxTokens, boolean demo) {
        checkTemplateName();
        return ChatOptions.defaults().withContext(context).withSampling(sampling).withMaxTokens(maxTokens(maxTokens, demo))
                .withThinking(thinking()).withReasoningBudget(reasoningBudget(demo)).withReasoningEffort(reasoningEffort)
                .withStopStrings(stops).withGrammar(grammar()).withTools(tools());
    }

    /** --think and its older spelling --no-think, which must not contradict each other. */
    boolean thinking() {
        if (think == null) {
            return !noThink;
        }
        boolean on = switch (think.toLowerCase(Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("--think must be on or off, not '" + think + "'");
        };
        if (on && noThink) {
            throw new IllegalArgumentException("--think on and --no-think contradict each other; give one");
        }
        return on;
    }

    /** The tools file, parsed and checked; null without --tools. */
    ChatTools tools() {
        ChatTools.Choice choice = ChatTools.Choice.of(toolChoice.toLowerCase(Locale.ROOT));
        if (toolsFile == null) {
            if (given("--tool-choice")) {
                throw new IllegalArgumentException("--tool-choice needs --tools FILE: there are no tools to choose from");
            }
            return null;
        }
        return tools(readFile(toolsFile, "tools file"), "the tools file " + toolsFile, choice).withParallel(parallel());
    }

    /** --parallel-tool-calls as a Boolean: null = the template's default. */
    private Boolean parallel() {
        if (parallelToolCalls == null) {
            return null;
        }
        return switch (parallelToolCalls.toLowerCase(Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException("--parallel-tool-calls must be on or off, not '" + parallelToolCalls + "'");
        };
    }

    /** ChatTools.parse, with every error naming the source (the runtime's entry checks say only "the tools"). */
    static ChatTools tools(String json, String source, ChatTools.Choice choice) {
        try {
            return ChatTools.parse(json, source, choice);
        } catch (IllegalArgumentException e) {
            String message = e.getMessage();
            throw message.contains(source) ? e : new IllegalArgumentException(message.replaceFirst("^the tools", source), e);
        }
    }

    /** The grammar of --json-schema or --grammar-file; null without either. */
    Grammar grammar() {
        if (jsonSchema != null && grammarFile != null) {
            throw new IllegalArgumentException("--json-schema and --grammar-file both constrain the answer; give one");
        }
        if (grammarFile != null) {
            return Grammar.of(readFile(grammarFile, "grammar file"));
        }
        if (jsonSchema == null) {
            return null;
        }
        boolean inline = jsonSchema.stripLeading().startsWith("{");
        String source = inline ? jsonSchema : readFile(Path.of(jsonSchema), "JSON schema file");
        return schemaGrammar(source, inline ? "the --json-schema text" : "the JSON schema file " + jsonSchema);
    }

    /** llama.cpp's converter, its refusal naming where the schema came from. */
    static Grammar schemaGrammar(String schemaJson, String source) {
        try {
            new ObjectMapper().readTree(schemaJson);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + " is not valid JSON; give a JSON Schema object, e.g. {\"type\": \"object\"}");
        }
        try {
            return Grammar.fromJsonSchema(schemaJson);
        } catch (InvalidRequestException e) {
            throw new InvalidRequestException(source + ": " + e.getMessage(), e); // the runtime cannot know where it came from
        }
    }

    /** A name that is not a file must be a built-in template: checked before the model loads. */
    private void checkTemplateName() {
        if (template != null && !Files.isRegularFile(Path.of(template))) {
            if (template.contains("/") || template.endsWith(".jinja")) {
                throw new IllegalArgumentException("the template file " + template + " does not exist; check the path, or give a built-in name");
            }
            ChatTemplate.named(template);
        }
    }

    /**
     * The --template chosen: a Jinja file's (evaluated with the model's BOS/EOS) or a built-in one; null for the
     * model's own. The caller closes it after the sessions that use it.
     */
    ChatTemplate openTemplate(Model model) {
        if (template == null) {
            return null;
        }
        Path file = Path.of(template);
        if (Files.isRegularFile(file)) {
            return ChatTemplate.jinja(model, readFile(file, "template file"), "the template file " + file.getFileName());
        }
        return ChatTemplate.named(template);
    }

    /**
     * The prompt the session would decode for this message. Rendering is where the template meets the flags (an
     * unknown reasoning effort, a template that fails on these messages), so it runs before any generation; its
     * refusal is an {@link InvalidRequestException}, the user's to fix (a usage error, one line).
     */
    static ChatSession.PromptPreview render(ChatSession session, ChatMessage message) {
        return session.preview(message);
    }

    private static String readFile(Path file, String what) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("the " + what + " " + file + " does not exist or is not a file; check the path");
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the " + what + " " + file + ": " + e.getMessage(), e);
        }
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
