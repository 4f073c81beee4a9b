package dev.jseek.cli;

import dev.jseek.chat.BatchChat;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.chat.ChatTools;
import dev.jseek.chat.ChatTurn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jseek.Grammar;
import dev.jseek.InvalidRequestException;
import dev.jseek.Model;
import dev.jseek.SamplerParams;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * JSONL in, JSONL out: many prompts answered as parallel sequences, one record written and flushed as each
 * finishes. A bad line becomes an error record and the rest go on. With -o, a rerun skips the ids the output
 * already holds, so an interrupted batch (even a killed one) resumes where it stopped.
 */
@Command(name = "batch", description = "Answer a JSONL file of prompts, several at once, as JSONL.")
final class BatchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Parameters(paramLabel = "INPUT", arity = "0..1",
            description = "JSONL, one request per line: {\"id\":…, \"prompt\":…} or {\"id\":…, \"messages\":[{\"role\":…,\"content\":…}]}, "
                    + "optional max_tokens, temperature, top_p, top_k, min_p, seed, think, reasoning_effort, tools, tool_choice, parallel_tool_calls, "
                    + "json_schema, grammar, stop; '-' or nothing reads stdin")
    String input;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "append the records to FILE; a rerun skips the ids already there (default: stdout)")
    Path output;

    @Option(names = "--print-prompt", description = "write each line's prompt as the chat template makes it, and its token "
            + "count, as JSONL ({\"id\", \"prompt\", \"prompt_tokens\"}) instead of answering")
    boolean printPrompt;

    @Option(names = {"-np", "--parallel"}, paramLabel = "N", defaultValue = "4", description = "sequences answered at once (default: ${DEFAULT-VALUE})")
    int parallel;

    @Option(names = {"-n", "--max-tokens"}, paramLabel = "N", defaultValue = "1024",
            description = "most tokens per reply, reasoning included; a line's max_tokens wins (default: ${DEFAULT-VALUE}; "
                    + ChatFlags.DEMO_MAX_TOKENS + " with the demo model)")
    int maxTokens;

    @Mixin
    ContextOptions context = new ContextOptions();

    /** --system is the system prompt of every line that brings none of its own. */
    @Mixin
    ChatFlags chat = new ChatFlags();

    private final ObjectMapper json = new ObjectMapper();

    @Override
    public Integer call() throws IOException {
        if (parallel < 1) {
            throw new IllegalArgumentException("--parallel must be at least 1, not " + parallel);
        }
        if (context.contextSize < 1) {
            throw new IllegalArgumentException("--ctx-size is per sequence in a batch and must be at least 1, not " + context.contextSize);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("--max-tokens must be at least 1, not " + maxTokens);
        }
        SamplerParams defaults = sampling.params();
        boolean demo = modelOptions.demo();
        // the flags' options are every line's defaults; lines that need more than thinking on/off run one by one
        ChatOptions lineDefaults = chat.options(context.contextParams(modelOptions.threads), defaults, maxTokens, demo);
        boolean flagsNeedSession = lineDefaults.tools() != null || lineDefaults.grammar() != null
                || !lineDefaults.stopStrings().isEmpty() || lineDefaults.reasoningEffort() != null;
        BatchChat.Options options = BatchChat.Options.defaults().withSampling(defaults).withMaxTokens(chat.maxTokens(maxTokens, demo))
                .withThinking(lineDefaults.thinking()).withReasoningBudget(chat.reasoningBudget(demo))
                .withContext(context.contextParams(modelOptions.threads).withContextSize(context.contextSize * parallel).withSequences(parallel));
        Set<String> done = output == null ? Set.of() : BatchOutput.completedIds(output, json);
        List<BatchChat.Request> requests = new ArrayList<>();
        List<SessionLine> sessionLines = new ArrayList<>();
        List<SessionLine> everyLine = new ArrayList<>();
        List<ObjectNode> rejected = new ArrayList<>();
        try (Utf8Lines in = new Utf8Lines(openInput())) {
            Set<String> seen = new HashSet<>();
            int lineNumber = 0;
            for (Utf8Lines.Line next; (next = in.next()) != null; ) {
                lineNumber++;
                if (next.error() != null) {
                    String id = "line " + lineNumber;
                    if (!done.contains(id)) {
                        rejected.add(errorRecord(id, "line " + lineNumber + ": " + next.error()));
                    }
                    continue;
                }
                String line = next.text();
                if (line.isBlank()) {
                    continue;
                }
                try {
                    SessionLine parsed = parse(line, lineNumber, defaults, lineDefaults, flagsNeedSession);
                    BatchChat.Request r = parsed.request();
                    if (!seen.add(r.id())) {
                        // the id belongs to the first line with it: this record goes under the line number
                        String lineId = "line " + lineNumber;
                        if (!done.contains(lineId)) {
                            rejected.add(errorRecord(lineId, "line " + lineNumber + ": id " + r.id() + " appears more than once"));
                        }
                        continue;
                    }
                    if (!done.contains(r.id())) {
                        everyLine.add(parsed);
                        if (!parsed.needsSession()) {
                            requests.add(r);
                        } else {
                            sessionLines.add(parsed);
                        }
                    }
                } catch (IllegalArgumentException | InvalidRequestException | IOException e) {
                    String id = idOf(line).filter(seen::add).orElse("line " + lineNumber);
                    if (!done.contains(id)) {
                        rejected.add(errorRecord(id, "line " + lineNumber + ": " + e.getMessage()));
                    }
                }
            }
        }
        PrintWriter err = spec.commandLine().getErr();
        if (!done.isEmpty()) {
            err.println("jseek: " + done.size() + " ids are already in " + output + "; skipping them.");
        }
        try (Writer out = openOutput()) {
            for (ObjectNode r : rejected) {
                write(out, r);
            }
            int[] finished = {0};
            int[] failed = {rejected.size()};
            int total = requests.size() + sessionLines.size();
            if (printPrompt) {
                if (total > 0) {
                    failed[0] += printPrompts(everyLine, out, err, demo);
                }
            } else if (total > 0) {
                try (Model model = modelOptions.load(err, chat.demoNote(maxTokens, demo));
                     ChatTemplate template = chat.openTemplate(model)) {
                    if (!requests.isEmpty()) {
                        runParallel(model, options.withTemplate(template), requests, out, err, finished, failed, total);
                    }
                    // in input order, one session each: tools, grammars, stops and efforts are per session
                    for (SessionLine line : sessionLines) {
                        ObjectNode record = answer(model, template, line);
                        write(out, record);
                        finished[0]++;
                        if (record.has("error")) {
                            failed[0]++;
                        }
                        err.printf("\rjseek: %d/%d answered", finished[0], total);
                        err.flush();
                    }
                    err.println();
                }
            }
            if (failed[0] > 0) {
                // the records say which and why; the exit code says that something needs a look
                err.println("jseek: " + failed[0] + " of " + (rejected.size() + finished[0])
                        + " records are errors (their \"error\" field says why).");
                err.flush();
                return ExitCodes.FAILURE;
            }
        }
        return ExitCodes.OK;
    }

    /** --print-prompt: each line's prompt, in input order; a line whose template fails gets an error record. */
    private int printPrompts(List<SessionLine> lines, Writer out, PrintWriter err, boolean demo) {
        int errors = 0;
        try (Model model = modelOptions.load(err, chat.demoNote(maxTokens, demo)); ChatTemplate template = chat.openTemplate(model)) {
            for (SessionLine line : lines) {
                List<ChatMessage> messages = line.request().messages();
                try (ChatSession session = new ChatSession(model, line.options().withTemplate(template))) {
                    session.restoreHistory(messages.subList(0, messages.size() - 1));
                    ChatMessage last = messages.getLast();
                    ObjectNode record = json.createObjectNode();
                    record.put("id", line.request().id());
                    ChatSession.PromptPreview prompt = session.preview(last);
                    record.put("prompt", prompt.text());
                    record.put("prompt_tokens", prompt.tokens());
                    write(out, record);
                } catch (RuntimeException e) {
                    write(out, errorRecord(line.request().id(), ExitCodes.sentence(e)));
                    errors++;
                }
            }
        }
        return errors;
    }

    /** The lines BatchChat serves, as parallel sequences; records are written as each finishes. */
    private void runParallel(Model model, BatchChat.Options options, List<BatchChat.Request> requests, Writer out,
                             PrintWriter err, int[] finished, int[] failed, int total) {
        try (BatchChat batch = new BatchChat(model, options)) {
            batch.run(requests, result -> {
                if (result.stop() == dev.jseek.Generator.StopReason.CANCELLED) {
                    return; // not answered: left for the next run
                }
                write(out, toRecord(result));
                finished[0]++;
                if (!result.ok()) {
                    failed[0]++;
                }
                err.printf("\rjseek: %d/%d answered", finished[0], total);
                err.flush();
            });
        }
    }

    private InputStream openInput() throws IOException {
        if (input != null && !input.equals("-")) {
            Path path = Path.of(input);
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException("the input file " + input + " does not exist or is not a file; check the path");
            }
            return Files.newInputStream(path);
        }
        if (input == null && Terminals.stdinIsTerminal()) {
            // a terminal on stdin means nothing was piped in: reading it would wait on the user
            throw new IllegalArgumentException("no input given: pass a JSONL file (jseek batch prompts.jsonl) or pipe one into stdin");
        }
        return System.in;
    }

    private Writer openOutput() throws IOException {
        if (output == null) {
            return spec.commandLine().getOut();
        }
        BatchOutput.dropPartialLastLine(output);
        return Files.newBufferedWriter(output, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    /** One record per line, flushed at once: a killed run loses at most the line being written. */
    private static void write(Writer out, ObjectNode record) {
        try {
            out.write(record.toString());
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("Cannot write a batch record: " + e.getMessage(), e);
        }
    }

    /**
     * One line: its request, and the session options when BatchChat cannot serve it (tools, a grammar or schema,
     * stop strings, a reasoning effort, other thinking than the batch's, or tool messages); null options = BatchChat.
     */
    record SessionLine(BatchChat.Request request, ChatOptions options, boolean needsSession) {
    }

    private SessionLine parse(String line, int lineNumber, SamplerParams defaults, ChatOptions lineDefaults,
                              boolean flagsNeedSession) throws IOException {
        JsonNode node = json.readTree(line);
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("not a JSON object");
        }
        String id = node.hasNonNull("id") ? node.get("id").asText() : null;
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("no \"id\"");
        }
        List<ChatMessage> messages = new ArrayList<>();
        if (node.has("prompt")) {
            messages.add(ChatMessage.user(node.get("prompt").asText()));
        } else if (node.has("messages") && node.get("messages").isArray()) {
            for (JsonNode m : node.get("messages")) {
                messages.add(message(m));
            }
        } else {
            throw new IllegalArgumentException("no \"prompt\" or \"messages\"");
        }
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("\"messages\" is empty");
        }
        if (chat.system != null && !chat.system.isBlank() && messages.stream().noneMatch(m -> m.role() == ChatMessage.Role.SYSTEM)) {
            messages.addFirst(ChatMessage.system(chat.system));
        }
        SamplerParams p = defaults;
        if (node.has("temperature")) p = p.withTemperature((float) node.get("temperature").asDouble());
        if (node.has("top_p")) p = p.withTopP((float) node.get("top_p").asDouble());
        if (node.has("top_k")) p = p.withTopK(node.get("top_k").asInt());
        if (node.has("min_p")) p = p.withMinP((float) node.get("min_p").asDouble());
        if (node.has("seed")) p = p.withSeed(node.get("seed").asLong());
        Integer max = node.has("max_tokens") ? node.get("max_tokens").asInt() : null;
        BatchChat.Request request = new BatchChat.Request(id, messages, p, max);

        ChatOptions o = lineDefaults.withSampling(p);
        if (max != null) {
            o = o.withMaxTokens(max);
        }
        // BatchChat serves thinking on/off for the whole batch, and nothing below it
        boolean needsSession = flagsNeedSession || node.has("reasoning_effort") || node.has("stop") || node.has("grammar")
                || node.has("json_schema") || node.has("tools") || node.has("tool_choice")
                || messages.stream().anyMatch(m -> m.role() == ChatMessage.Role.TOOL || !m.toolCalls().isEmpty());
        if (node.has("think")) {
            JsonNode t = node.get("think");
            if (!t.isBoolean()) {
                throw new IllegalArgumentException("\"think\" must be true or false");
            }
            o = o.withThinking(t.asBoolean());
            needsSession |= t.asBoolean() != lineDefaults.thinking();
        }
        if (node.has("reasoning_effort")) {
            o = o.withReasoningEffort(node.get("reasoning_effort").asText());
        }
        if (node.has("stop")) {
            o = o.withStopStrings(stops(node.get("stop")));
        }
        if (node.has("grammar") && node.has("json_schema")) {
            throw new IllegalArgumentException("\"grammar\" and \"json_schema\" both constrain the answer; give one");
        }
        if (node.has("grammar")) {
            o = o.withGrammar(Grammar.of(node.get("grammar").asText()));
        }
        if (node.has("json_schema")) {
            if (!node.get("json_schema").isObject()) {
                throw new IllegalArgumentException("\"json_schema\" must be a JSON Schema object");
            }
            o = o.withGrammar(ChatFlags.schemaGrammar(node.get("json_schema").toString(), "\"json_schema\""));
        }
        ChatTools.Choice choice = node.has("tool_choice") ? ChatTools.Choice.of(node.get("tool_choice").asText())
                : lineDefaults.tools() != null ? lineDefaults.tools().choice() : ChatTools.Choice.AUTO;
        if (node.has("tools")) {
            Boolean parallel = null; // the template's default
            if (node.has("parallel_tool_calls")) {
                parallel = node.get("parallel_tool_calls").asBoolean();
            } else if (lineDefaults.tools() != null) {
                parallel = lineDefaults.tools().parallel();
            }
            o = o.withTools(ChatFlags.tools(node.get("tools").toString(), "\"tools\"", choice).withParallel(parallel));
        } else if (node.has("tool_choice")) {
            if (lineDefaults.tools() == null) {
                throw new IllegalArgumentException("\"tool_choice\" needs \"tools\" (or --tools)");
            }
            o = o.withTools(lineDefaults.tools().withChoice(choice));
        }
        return new SessionLine(request, o, needsSession);
    }

    /** A message of a line: system, user, assistant (maybe with tool_calls) or tool (with tool_call_id). */
    private static ChatMessage message(JsonNode m) {
        ChatMessage.Role role = ChatMessage.Role.of(m.path("role").asText(""));
        String content = m.path("content").isNull() ? "" : m.path("content").asText("");
        return switch (role) {
            case TOOL -> {
                if (!m.path("tool_call_id").isTextual()) {
                    throw new IllegalArgumentException("a tool message needs the \"tool_call_id\" of the call it answers");
                }
                yield ChatMessage.tool(m.get("tool_call_id").asText(), content);
            }
            case ASSISTANT -> m.has("tool_calls") ? ChatMessage.assistant(content, ToolCalls.fromJson(m.get("tool_calls")))
                    : ChatMessage.assistant(content);
            default -> new ChatMessage(role, content);
        };
    }

    private static List<String> stops(JsonNode stop) {
        List<String> stops = new ArrayList<>();
        if (stop.isTextual()) {
            stops.add(stop.asText());
        } else if (stop.isArray()) {
            stop.forEach(s -> stops.add(s.asText()));
        } else {
            throw new IllegalArgumentException("\"stop\" must be a string or an array of strings");
        }
        return stops;
    }

    /** A line BatchChat cannot serve, answered in a session of its own; a failure is its error record. */
    private ObjectNode answer(Model model, ChatTemplate template, SessionLine line) {
        BatchChat.Request r = line.request();
        List<ChatMessage> messages = r.messages();
        ChatMessage last = messages.getLast();
        if (last.role() != ChatMessage.Role.USER && last.role() != ChatMessage.Role.TOOL) {
            return errorRecord(r.id(), "the last message must be a user message or a tool result, not " + last.role().wireName());
        }
        try (ChatSession session = new ChatSession(model, line.options().withTemplate(template))) {
            session.restoreHistory(messages.subList(0, messages.size() - 1));
            ChatTurn turn = session.send(last, ChatListener.silent());
            ObjectNode record = json.createObjectNode();
            record.put("id", r.id());
            record.put("reasoning", turn.reasoning());
            record.put("answer", turn.answer());
            if (!turn.toolCalls().isEmpty()) {
                record.set("tool_calls", ToolCalls.toJson(turn.toolCalls()));
            }
            putStopAndStats(record, turn.stop(), turn.stats());
            return record;
        } catch (RuntimeException e) {
            return errorRecord(r.id(), ExitCodes.sentence(e));
        }
    }

    private java.util.Optional<String> idOf(String line) {
        try {
            JsonNode node = json.readTree(line);
            return node != null && node.hasNonNull("id") ? java.util.Optional.of(node.get("id").asText()) : java.util.Optional.empty();
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    private ObjectNode errorRecord(String id, String message) {
        ObjectNode r = json.createObjectNode();
        r.put("id", id);
        r.put("error", message);
        return r;
    }

    private ObjectNode toRecord(BatchChat.Result result) {
        if (!result.ok()) {
            return errorRecord(result.id(), result.error());
        }
        ObjectNode r = json.createObjectNode();
        r.put("id", result.id());
        r.put("reasoning", result.reasoning());
        r.put("answer", result.answer());
        putStopAndStats(r, result.stop(), result.stats());
        return r;
    }

    private static void putStopAndStats(ObjectNode r, dev.jseek.Generator.StopReason stop, ChatTurn.Stats s) {
        r.put("stop", stop.name().toLowerCase(Locale.ROOT));
        ObjectNode stats = r.putObject("stats");
        stats.put("prompt_tokens", s.promptTokens());
        stats.put("generated_tokens", s.generatedTokens());
        stats.put("reasoning_tokens", s.reasoningTokens());
        stats.put("generation_tokens_per_second", s.generationTokensPerSecond());
        stats.put("first_token_seconds", s.firstTokenNanos() / 1e9);
    }
}
