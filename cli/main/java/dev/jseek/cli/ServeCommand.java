package dev.jseek.cli;

import dev.jseek.ContextParams;
import dev.jseek.Model;
import dev.jseek.chat.ChatOptions;
import dev.jseek.serve.OpenAiServer;
import dev.jseek.serve.ServeSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code jseek serve}: the model behind an OpenAI-compatible HTTP API, until the process is stopped. */
@Command(name = "serve", description = "Serve the model over an OpenAI-compatible HTTP API (/v1/chat/completions) until stopped.")
final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    ContextOptions context = new ContextOptions();

    @Option(names = "--host", paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
            description = "address to bind; beyond loopback needs --api-key (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "port; 0 = any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "require 'Authorization: Bearer KEY' on every request but /health (default: none; needed beyond loopback)")
    String apiKey;

    @Option(names = {"-np", "--parallel"}, paramLabel = "N", defaultValue = "2",
            description = "slots: requests generated together in one batch, each a sequence of --ctx-size tokens in one shared context (default: ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "requests that may wait for a slot; beyond, 503 with Retry-After (default: ${DEFAULT-VALUE})")
    int queue;

    @Option(names = "--max-body", paramLabel = "SIZE", defaultValue = "8MiB",
            description = "largest request body, e.g. 512KiB or 8MiB; beyond, 413 (default: ${DEFAULT-VALUE})")
    String maxBody;

    @Option(names = "--cors", paramLabel = "ORIGIN", description = "let web pages from ORIGIN (or *) call the API (default: no CORS)")
    String cors;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "4096",
            description = "most tokens per reply unless a request asks for fewer or more (default: ${DEFAULT-VALUE}; "
                    + ChatFlags.DEMO_MAX_TOKENS + " with the demo model)")
    int maxTokens;

    @Option(names = "--reasoning-budget", paramLabel = "N", defaultValue = "-1",
            description = "most reasoning tokens before </think> is forced; -1 = no limit (default: ${DEFAULT-VALUE}; "
                    + ChatFlags.DEMO_REASONING_BUDGET + " with the demo model)")
    int reasoningBudget;

    @Option(names = "--chat-template-file", paramLabel = "FILE", description = "a Jinja chat template instead of the model's own (default: the model's)")
    Path templateFile;

    @Option(names = "--alias", paramLabel = "NAME", description = "the model id /v1/models lists (default: the file name without .gguf)")
    String alias;

    @Option(names = "--shutdown-timeout", paramLabel = "SECONDS", defaultValue = "10",
            description = "on SIGTERM, how long in-flight requests get to end after being cancelled (default: ${DEFAULT-VALUE})")
    int shutdownSeconds;

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter err = spec.commandLine().getErr();
        // Every value is checked before the model loads, so a typo costs no waiting.
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be at least 1, not " + maxTokens);
        }
        if (shutdownSeconds < 0) {
            throw new IllegalArgumentException("--shutdown-timeout must be 0 or more seconds, not " + shutdownSeconds);
        }
        boolean demo = modelOptions.demo();
        boolean given = spec.commandLine().getParseResult().hasMatchedOption("--max-tokens");
        boolean budgetGiven = spec.commandLine().getParseResult().hasMatchedOption("--reasoning-budget");
        ContextParams contextParams = context.contextParams(modelOptions.threads);
        ChatOptions options = ChatOptions.defaults().withContext(contextParams).withSampling(sampling.params())
                .withMaxTokens(demo && !given ? ChatFlags.DEMO_MAX_TOKENS : maxTokens)
                .withReasoningBudget(demo && !budgetGiven ? ChatFlags.DEMO_REASONING_BUDGET : reasoningBudget);
        String template = null;
        if (templateFile != null) {
            if (!Files.isRegularFile(templateFile)) {
                throw new IllegalArgumentException("the chat template file " + templateFile + " does not exist or is not a file; check the path");
            }
            template = Files.readString(templateFile, StandardCharsets.UTF_8);
        }
        String id = alias != null ? alias : modelOptions.model == null ? "jseek-demo"
                : modelOptions.model.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
        // checks host, key and sizes; a public host without --api-key stops here, before the model loads
        ServeSettings settings = new ServeSettings(host, port, apiKey, parallel, queue, bytes(maxBody), cors, id, options,
                template, templateFile == null ? null : "the template file " + templateFile, Duration.ofSeconds(shutdownSeconds));
        Model model = modelOptions.load(err, "");
        OpenAiServer server;
        try {
            server = OpenAiServer.start(model, settings);
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
        // SIGTERM / Ctrl-C: stop accepting, cancel what is generating, then free the contexts and the model
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("jseek-serve-shutdown").unstarted(() -> {
            System.err.println("jseek serve: stopping");
            if (server.shutdown()) {
                model.close();
            }
        }));
        err.println("jseek serve: listening on " + server.url() + " (" + parallel + " slots of " + server.slotSize()
                + " tokens; model id " + id + ")");
        err.flush();
        new CountDownLatch(1).await(); // serves until the JVM is told to stop; the hook does the rest
        return ExitCodes.OK;
    }

    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|b|kib|kb|k|mib|mb|m|gib|gb|g)");

    /** 8MiB, 512k, 1048576 → bytes (binary units). */
    static long bytes(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("--max-body must be a size such as 8MiB, 512KiB or 1048576, not '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "kib", "kb", "k" -> n << 10;
            case "mib", "mb", "m" -> n << 20;
            case "gib", "gb", "g" -> n << 30;
            default -> n;
        };
    }
}
