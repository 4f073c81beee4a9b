package dev.jseek;

import dev.jseek.internal.NativeHandle;

import dev.jseek.bindings.llama.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A model's Jinja chat templates, evaluated by the pinned llama.cpp's own common chat library (through jseek's
 * C bridge, {@code native/shim/jseek_chat.h}): the same code that renders prompts, parses tool calls and converts
 * JSON Schemas for llama-server. Requests and results are JSON text in OpenAI's and llama-server's shapes; the
 * chat package gives them types. The templates keep no pointer to the model, so they may outlive it.
 * Thread-safe: rendering does not change the templates.
 */
public final class JinjaTemplates implements AutoCloseable {
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private final NativeHandle handle;
    private final String description;

    private JinjaTemplates(MemorySegment pointer, String description) {
        this.handle = new NativeHandle("chat templates", pointer, llama_h::jseek_chat_free);
        this.description = description;
    }

    /** The model's own template (tokenizer.chat_template, and its tool_use variant where present). */
    public static JinjaTemplates of(Model model) {
        return init(model, null, "the template of " + model.path().getFileName());
    }

    /**
     * A template given as Jinja source (e.g. read from a file), with the model's BOS/EOS tokens.
     *
     * @param description names the template in errors, e.g. "the template file t.jinja"
     */
    public static JinjaTemplates of(Model model, String source, String description) {
        if (source.isBlank()) {
            throw new InvalidRequestException(description + " is empty; give a Jinja chat template.");
        }
        return init(model, source, description);
    }

    private static JinjaTemplates init(Model model, String source, String description) {
        requireBridge();
        try (Arena arena = Arena.ofConfined(); NativeHandle.Lease lease = model.lease()) {
            MemorySegment error = arena.allocate(ValueLayout.ADDRESS);
            error.set(ValueLayout.ADDRESS, 0, MemorySegment.NULL);
            MemorySegment chat = llama_h.jseek_chat_init(lease.pointer(),
                    source == null ? MemorySegment.NULL : arena.allocateFrom(source), error);
            if (chat.equals(MemorySegment.NULL)) {
                MemorySegment message = error.get(ValueLayout.ADDRESS, 0);
                // llama.cpp's parser errors span lines (a caret under the source); the user gets one
                String reason = takeString(message).strip().replaceAll("\\s*\\R\\s*", " ");
                String why = description + " cannot be used: llama.cpp says \"" + reason + "\".";
                throw source == null ? new JseekException(why) : new InvalidRequestException(why); // a given template is the caller's
            }
            return new JinjaTemplates(chat, description);
        }
    }

    /** {"source", "caps": {...}, "supports_enable_thinking"} */
    public String describe() {
        return handle.shared(p -> takeString(llama_h.jseek_chat_describe(p)));
    }

    /**
     * Renders an OpenAI chat-completions request as llama-server does (prompt, grammar, parser, stops, ...).
     *
     * @throws JseekException naming the template and llama.cpp's error when it cannot be rendered
     */
    public String apply(String requestJson) {
        String result = handle.shared(p -> {
            try (Arena arena = Arena.ofConfined()) {
                byte[] bytes = requestJson.getBytes(StandardCharsets.UTF_8);
                return takeString(llama_h.jseek_chat_apply(p, arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes), bytes.length));
            }
        });
        return checked(result, description + " cannot render this conversation");
    }

    /** Parses a model's output with the parser params {@link #apply} returned; see jseek_chat.h. */
    public static String parse(String paramsJson, String text) {
        requireBridge();
        try (Arena arena = Arena.ofConfined()) {
            byte[] params = paramsJson.getBytes(StandardCharsets.UTF_8);
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            String result = takeString(llama_h.jseek_chat_parse(arena.allocateFrom(ValueLayout.JAVA_BYTE, params), params.length,
                    arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes), bytes.length));
            return checked(result, "llama.cpp cannot parse the model's output");
        }
    }

    /**
     * llama.cpp's JSON-Schema-to-GBNF converter; returns the grammar (root rule "root").
     *
     * @throws InvalidRequestException with the converter's reason when the schema is not one it handles
     */
    public static String schemaToGrammar(String schemaJson) {
        requireBridge();
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = schemaJson.getBytes(StandardCharsets.UTF_8);
            String result = takeString(llama_h.jseek_chat_schema_to_grammar(arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes), bytes.length));
            if (result.startsWith("{\"error\":")) { // the caller's schema: its reason spans lines, the caller gets one
                throw new InvalidRequestException("llama.cpp cannot convert the JSON Schema: " + error(result).strip().replaceAll("\\s*\\R\\s*", " "));
            }
            try {
                return JSON.readTree(result).path("grammar").asText();
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException("jseek's chat bridge returned bad JSON: " + e.getOriginalMessage(), e);
            }
        }
    }

    /** Results are {"error": "..."} on failure; everything else is the caller's to read. */
    private static String checked(String resultJson, String context) {
        if (resultJson.startsWith("{\"error\":")) {
            throw new JseekException(context + ": " + error(resultJson));
        }
        return resultJson;
    }

    private static String error(String resultJson) {
        try {
            return JSON.readTree(resultJson).path("error").asText();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return resultJson;
        }
    }

    /** Copies a string the bridge malloc'd, then frees it. */
    private static String takeString(MemorySegment s) {
        if (s.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("jseek's chat bridge could not allocate its result");
        }
        try {
            return s.reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
        } finally {
            llama_h.jseek_chat_string_free(s);
        }
    }

    private static void requireBridge() {
        java.nio.file.Path dir = Backend.get().libraryDir();
        if (SymbolLookup.loaderLookup().find("jseek_chat_init").isEmpty()) {
            throw new JseekException("jseek's chat bridge (libjseek-common) is not in " + dir
                    + "; run native/build.sh, which builds it beside the llama.cpp libraries.");
        }
    }

    @Override
    public void close() {
        handle.close();
    }

    @Override
    public String toString() {
        return description;
    }
}
