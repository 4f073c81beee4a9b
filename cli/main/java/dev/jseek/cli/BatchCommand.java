package dev.jseek.cli;

import dev.jseek.chat.ChatEngine;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.chat.ChatTurn;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jseek.ContextParams;
import dev.jseek.Generator;
import dev.jseek.InvalidRequestException;
import dev.jseek.wire.TurnRecord;
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
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;

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
        // the flags' options are every line's defaults; a line may change any of its reply's settings
        ChatOptions lineDefaults = chat.options(context.contextParams(modelOptions.threads), defaults, maxTokens, demo);
        Set<String> done = output == null ? Set.of() : BatchOutput.completedIds(output, json);
        List<BatchLine> lines = new ArrayList<>();
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
                    BatchLine parsed = BatchLine.parse(json.readTree(line), defaults, lineDefaults.reply(), chat.system);
                    if (!seen.add(parsed.id())) {
                        // the id belongs to the first line with it: this record goes under the line number
                        String lineId = "line " + lineNumber;
                        if (!done.contains(lineId)) {
                            rejected.add(errorRecord(lineId, "line " + lineNumber + ": id " + parsed.id() + " appears more than once"));
                        }
                        continue;
                    }
                    if (!done.contains(parsed.id())) {
                        lines.add(parsed);
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
            int[] counts = {0, rejected.size()}; // records written for lines to answer, and errors of all
            if (!lines.isEmpty()) {
                try (Model model = modelOptions.load(err, chat.demoNote(maxTokens, demo));
                     ChatTemplate template = chat.openTemplate(model)) {
                    if (printPrompt) {
                        printPrompts(model, lineDefaults.withTemplate(template), lines, out, counts);
                    } else {
                        answer(model, template, lines, out, err, counts);
                    }
                }
            }
            if (counts[1] > 0) {
                // the records say which and why; the exit code says that something needs a look
                err.println("jseek: " + counts[1] + " of " + (rejected.size() + counts[0])
                        + " records are errors (their \"error\" field says why).");
                err.flush();
                return ExitCodes.FAILURE;
            }
        }
        return ExitCodes.OK;
    }

    /** --print-prompt: each line's prompt, in input order; a line whose template fails gets an error record. */
    private void printPrompts(Model model, ChatOptions options, List<BatchLine> lines, Writer out, int[] counts) {
        for (BatchLine line : lines) {
            List<ChatMessage> messages = line.messages();
            ObjectNode record;
            try (ChatSession session = new ChatSession(model, options.withReply(line.reply()))) {
                session.restoreHistory(messages.subList(0, messages.size() - 1));
                ChatSession.PromptPreview prompt = session.preview(messages.getLast());
                record = json.createObjectNode();
                record.put("id", line.id());
                record.put("prompt", prompt.text());
                record.put("prompt_tokens", prompt.tokens());
            } catch (RuntimeException e) {
                record = errorRecord(line.id(), ExitCodes.sentence(e));
            }
            count(record, out, counts);
        }
    }

    /**
     * Every line through one engine, as parallel sequences, whatever it asks for (tools, grammars, stops, efforts);
     * a record is written as each finishes. A line the engine refuses (its prompt does not fit, the template refuses
     * it) is an error record; a line cancelled by an interrupt is left for the next run.
     */
    private void answer(Model model, ChatTemplate template, List<BatchLine> lines, Writer out, PrintWriter err, int[] counts) {
        ContextParams shared = context.contextParams(modelOptions.threads).withContextSize(context.contextSize * parallel)
                .withSequences(parallel);
        BlockingQueue<Integer> finished = new LinkedBlockingQueue<>();
        List<ChatEngine.Handle> handles = new ArrayList<>();
        try (ChatEngine engine = new ChatEngine(model, new ChatEngine.Options(template, shared, Integer.MAX_VALUE))) {
            for (int i = 0; i < lines.size(); i++) {
                BatchLine line = lines.get(i);
                try {
                    ChatEngine.Handle h = engine.submit(line.messages(), line.reply(), new ChatEngine.Listener() { });
                    int index = i;
                    h.result().whenComplete((reply, failure) -> finished.add(index));
                    handles.add(h);
                } catch (RuntimeException e) {
                    handles.add(null);
                    count(errorRecord(line.id(), ExitCodes.sentence(e)), out, counts);
                    progress(err, counts, lines.size());
                }
            }
            boolean interrupted = false;
            for (long pending = handles.stream().filter(java.util.Objects::nonNull).count(); pending > 0; ) {
                int i;
                try {
                    i = finished.take();
                } catch (InterruptedException e) {
                    interrupted = true;
                    engine.cancelAll(); // the requests end at the next step: wait for them
                    continue;
                }
                pending--;
                ObjectNode record = record(lines.get(i).id(), handles.get(i));
                if (record != null) {
                    count(record, out, counts);
                    progress(err, counts, lines.size());
                }
            }
            err.println();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void count(ObjectNode record, Writer out, int[] counts) {
        write(out, record);
        counts[0]++;
        if (record.has("error")) {
            counts[1]++;
        }
    }

    private static void progress(PrintWriter err, int[] counts, int total) {
        err.printf("\rjseek: %d/%d answered", counts[0], total);
        err.flush();
    }

    /** A finished line's record: its reply, or its error; null when it was cancelled (it is left for the next run). */
    private ObjectNode record(String id, ChatEngine.Handle handle) {
        ChatTurn turn;
        try {
            turn = handle.result().join().turn();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return errorRecord(id, ExitCodes.sentence(cause));
        }
        if (turn.stop() == Generator.StopReason.CANCELLED) {
            return null;
        }
        ObjectNode record = json.createObjectNode();
        record.put("id", id);
        return TurnRecord.put(record, turn);
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
}
