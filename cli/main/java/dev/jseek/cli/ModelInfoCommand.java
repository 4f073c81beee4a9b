package dev.jseek.cli;

import dev.jseek.ContextParams;
import dev.jseek.MemoryEstimate;
import dev.jseek.Model;
import dev.jseek.ModelLoadException;
import dev.jseek.ModelParams;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.chat.TemplateFeatures;
import dev.jseek.gguf.GgmlType;
import dev.jseek.gguf.GgufFile;
import dev.jseek.gguf.GgufFormatException;
import dev.jseek.gguf.GgufReader;
import dev.jseek.models.ArchitectureCheck;
import dev.jseek.models.ModelFacts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * `jseek info`: what a GGUF file is, read from its header (safe on any file: nothing native runs for it). Only
 * the chat features line needs llama.cpp: for a file that passes the architecture check, the model is mapped
 * (not read) so that its template can be asked what it supports.
 */
@Command(name = "info", description = "Show what a GGUF file is: architecture, parameters, experts, quantization, memory.")
final class ModelInfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "a GGUF model file")
    Path file;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "4096",
            description = "context length for the memory estimate (default: ${DEFAULT-VALUE})")
    int contextSize;

    @Option(names = "--json", description = "one JSON object instead of the table")
    boolean json;

    @Override
    public Integer call() {
        if (contextSize < 1) {
            throw new IllegalArgumentException("--ctx-size must be at least 1, not " + contextSize);
        }
        GgufFile gguf = read();
        ModelFacts facts = facts(gguf); // the KV estimate is replaced by llama.cpp's measurement below
        PrintWriter out = spec.commandLine().getOut();
        GgufFormatException unusable = null;
        try {
            ArchitectureCheck.verify(gguf);
        } catch (GgufFormatException e) {
            unusable = e;
        }
        ChatFeatures features = unusable == null ? chatFeatures(facts) : new ChatFeatures(null, "the model cannot be loaded");
        if (unusable == null && loadable) {
            // the KV cache as llama.cpp itself would allocate it (a no_alloc load), for every architecture
            measuredKv = MemoryEstimate.measure(file, ModelParams.defaults().withGpuLayers(0).withMemoryCheck(false),
                    ContextParams.defaults().withContextSize(contextSize)).contextBytes();
            facts = facts.withMeasuredKv(measuredKv, contextSize);
        }
        out.println(json ? toJson(facts, features) : table(facts, features));
        out.flush();
        if (unusable != null) {
            // the facts are shown; this says why jseek will not load the file
            spec.commandLine().getErr().println("jseek: " + unusable.getMessage());
            spec.commandLine().getErr().flush();
            return ExitCodes.MODEL;
        }
        return ExitCodes.OK;
    }

    /** The template's features, or why they are unknown (the header's facts stand either way). */
    record ChatFeatures(TemplateFeatures features, String unknown) {
        String line() {
            return features != null ? features.summary() : "unknown: " + unknown;
        }
    }

    /** Whether llama.cpp loaded the file (after the pre-flight), so that it can also be measured. */
    private boolean loadable;
    /** The KV cache llama.cpp measured at {@link #contextSize}; null when it could not be. */
    private Long measuredKv;

    private ChatFeatures chatFeatures(ModelFacts facts) {
        // mapped and on the CPU, no memory check: nothing but the vocabulary and the template is used
        ModelParams params = ModelParams.defaults().withGpuLayers(0).withMemoryCheck(false);
        try (Model model = Model.load(file, params)) {
            loadable = true;
            if (facts.templateFamily().equals("none")) {
                return new ChatFeatures(null, "the model has no chat template");
            }
            try (ChatTemplate template = ChatTemplate.of(model)) {
                return new ChatFeatures(template.features(), null);
            }
        } catch (RuntimeException e) {
            return new ChatFeatures(null, ExitCodes.sentence(e));
        }
    }

    private static ModelFacts facts(GgufFile gguf) {
        try {
            return ModelFacts.of(gguf);
        } catch (GgufFormatException e) {
            throw new ModelLoadException(e.getMessage());
        }
    }

    private GgufFile read() {
        return readGguf(file);
    }

    /** A GGUF's header, or a {@link ModelLoadException} that names the file and says what is wrong with it. */
    static GgufFile readGguf(Path file) {
        if (Files.isDirectory(file)) {
            throw new ModelLoadException(file + " is a directory; give the path of a .gguf file inside it.");
        }
        try {
            return GgufReader.read(file);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException("Model file " + file + " does not exist; check the path.");
        } catch (GgufFormatException e) {
            throw new ModelLoadException(e.getMessage());
        } catch (IOException e) {
            throw new ModelLoadException("Cannot read " + file + ": " + e.getMessage());
        }
    }

    private String table(ModelFacts f, ChatFeatures features) {
        StringBuilder b = new StringBuilder();
        row(b, "file", file + " (" + ModelFacts.humanBytes(f.fileSize()) + ")");
        row(b, "name", f.name());
        row(b, "what it is", f.kind());
        row(b, "architecture", f.architecture() + ", " + f.layers() + " layers, embedding " + f.embeddingLength()
                + ", " + f.heads() + " heads, vocabulary " + f.vocabularySize());
        row(b, "attention", f.attention());
        row(b, "parameters", ModelFacts.humanCount(f.parameters()) + (f.isMoe()
                ? ", " + ModelFacts.humanCount(f.activeParameters()) + " active per token" : ""));
        if (f.isMoe()) {
            row(b, "experts", f.experts() + " routed (" + f.expertsUsed() + " used per token), " + f.sharedExperts()
                    + " shared, " + f.denseLayers() + " leading dense layers");
        }
        row(b, "quantization", f.quantization() + " (" + tensorTypes(f.tensorTypes()) + ")");
        row(b, "context length", f.contextLength() + " tokens (trained)");
        row(b, "chat template", f.templateFamily() + (f.templatePrefillsThinking() ? ", pre-fills <think>" : ""));
        row(b, "chat features", features.line());
        if (f.kvEstimated()) {
            row(b, "memory", String.format(Locale.ROOT, "%s at %d tokens of context: weights %s + KV cache %s + compute ~%s",
                    ModelFacts.humanBytes(f.memoryBytes(contextSize)), contextSize, ModelFacts.humanBytes(f.weightBytes()),
                    ModelFacts.humanBytes(kvBytes(f)) + (measuredKv != null ? " (measured by llama.cpp)" : ""),
                    ModelFacts.humanBytes(ModelFacts.COMPUTE_ALLOWANCE_BYTES)));
        } else {
            row(b, "memory", String.format(Locale.ROOT, "at least %s: weights %s + compute ~%s; the KV cache is not estimated "
                            + "for the %s architecture", ModelFacts.humanBytes(f.memoryBytes(contextSize)), ModelFacts.humanBytes(f.weightBytes()),
                    ModelFacts.humanBytes(ModelFacts.COMPUTE_ALLOWANCE_BYTES), f.architecture()));
        }
        f.note().ifPresent(n -> row(b, "note", n));
        return b.toString().stripTrailing();
    }

    private long kvBytes(ModelFacts f) {
        return measuredKv != null ? measuredKv : f.kvBytesPerToken() * contextSize;
    }

    private static void row(StringBuilder b, String label, String value) {
        b.append(String.format(Locale.ROOT, "%-15s %s%n", label, value));
    }

    private static String tensorTypes(Map<GgmlType, Long> types) {
        return types.entrySet().stream().sorted(Map.Entry.<GgmlType, Long>comparingByValue(Comparator.reverseOrder()))
                .map(e -> e.getKey().ggmlName() + " " + ModelFacts.humanBytes(e.getValue())).collect(Collectors.joining(", "));
    }

    private String toJson(ModelFacts f, ChatFeatures features) {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode o = mapper.createObjectNode();
        o.put("file", file.toString());
        o.put("file_size", f.fileSize());
        o.put("name", f.name());
        o.put("kind", f.kind());
        o.put("architecture", f.architecture());
        o.put("layers", f.layers());
        o.put("embedding_length", f.embeddingLength());
        o.put("heads", f.heads());
        o.put("attention", f.attention());
        o.put("vocabulary_size", f.vocabularySize());
        o.put("context_length", f.contextLength());
        o.put("parameters", f.parameters());
        o.put("active_parameters", f.activeParameters());
        ObjectNode moe = o.putObject("experts");
        moe.put("routed", f.experts());
        moe.put("used", f.expertsUsed());
        moe.put("shared", f.sharedExperts());
        moe.put("leading_dense_layers", f.denseLayers());
        o.put("quantization", f.quantization());
        ObjectNode types = o.putObject("tensor_type_bytes");
        f.tensorTypes().forEach((t, bytes) -> types.put(t.ggmlName(), bytes));
        o.put("chat_template", f.templateFamily());
        o.put("template_prefills_thinking", f.templatePrefillsThinking());
        ObjectNode chat = o.putObject("chat_features");
        if (features.features() == null) {
            chat.put("unknown", features.unknown());
        } else {
            TemplateFeatures t = features.features();
            chat.put("summary", t.summary());
            chat.put("jinja", t.jinja());
            chat.put("thinking_switch", t.thinkingSwitch());
            chat.put("always_thinks", t.alwaysThinks());
            t.reasoningEfforts().forEach(chat.putArray("reasoning_efforts")::add);
            chat.put("tool_calls", t.toolCalls());
        }
        ObjectNode memory = o.putObject("memory");
        memory.put("context_length", contextSize);
        memory.put("weights_bytes", f.weightBytes());
        if (f.kvEstimated()) {
            memory.put("kv_cache_bytes", kvBytes(f));
            memory.put("kv_cache_source", measuredKv != null ? "llama.cpp" : "formula");
        } else {
            memory.putNull("kv_cache_bytes"); // not estimated for this architecture; total_bytes is then a lower bound
        }
        memory.put("compute_bytes", ModelFacts.COMPUTE_ALLOWANCE_BYTES);
        memory.put("total_bytes", f.memoryBytes(contextSize));
        return o.toString();
    }
}
