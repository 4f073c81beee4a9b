package dev.jseek.chat;

import dev.jseek.Backend;
import dev.jseek.InvalidRequestException;
import dev.jseek.JseekException;
import dev.jseek.Model;
import dev.jseek.internal.ChatBridge;
import dev.jseek.internal.NativeHandle;

import dev.jseek.bindings.llama.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A model's Jinja chat templates, evaluated by the pinned llama.cpp's own common chat library (through jseek's
 * C bridge, {@code native/shim/jseek_chat.h}): the same code that renders prompts and parses tool calls for
 * llama-server. Requests and results are JSON text in OpenAI's and llama-server's shapes; {@link JinjaPrompt} gives
 * them types. The templates keep no pointer to the model, so they may outlive it. Rendering does not change the
 * templates, so threads may render at once ({@code JinjaTemplatesConcurrencyTest} checks it against serial renders).
 */
final class JinjaTemplates implements AutoCloseable {
    private final NativeHandle handle;
    private final String description;

    private JinjaTemplates(MemorySegment pointer, String description) {
        this.handle = new NativeHandle("chat templates", pointer, llama_h::jseek_chat_free);
        this.description = description;
    }

    /** The model's own template (tokenizer.chat_template, and its tool_use variant where present). */
    static JinjaTemplates of(Model model) {
        return init(model, null, "the template of " + model.path().getFileName());
    }

    /**
     * A template given as Jinja source (e.g. read from a file), with the model's BOS/EOS tokens.
     *
     * @param description names the template in errors, e.g. "the template file t.jinja"
     */
    static JinjaTemplates of(Model model, String source, String description) {
        if (source.isBlank()) {
            throw new InvalidRequestException(description + " is empty; give a Jinja chat template.");
        }
        return init(model, source, description);
    }

    private static JinjaTemplates init(Model model, String source, String description) {
        requireBridge();
        try (Arena arena = Arena.ofConfined(); NativeHandle.Lease lease = ChatBridge.leaseModel(model)) {
            MemorySegment error = arena.allocate(ValueLayout.ADDRESS);
            error.set(ValueLayout.ADDRESS, 0, MemorySegment.NULL);
            MemorySegment chat = llama_h.jseek_chat_init(lease.pointer(),
                    source == null ? MemorySegment.NULL : arena.allocateFrom(source), error);
            if (chat.equals(MemorySegment.NULL)) {
                MemorySegment message = error.get(ValueLayout.ADDRESS, 0);
                // llama.cpp's parser errors span lines (a caret under the source); the user gets one
                String reason = ChatBridge.take(message).strip().replaceAll("\\s*\\R\\s*", " ");
                String why = description + " cannot be used: llama.cpp says \"" + reason + "\".";
                throw source == null ? new JseekException(why) : new InvalidRequestException(why); // a given template is the caller's
            }
            return new JinjaTemplates(chat, description);
        }
    }

    /** {"source", "caps": {...}, "supports_enable_thinking"} */
    String describe() {
        return handle.shared(p -> ChatBridge.take(llama_h.jseek_chat_describe(p)));
    }

    /**
     * Renders an OpenAI chat-completions request as llama-server does (prompt, grammar, parser, stops, ...).
     *
     * @throws JseekException naming the template and llama.cpp's error when it cannot be rendered
     */
    String apply(String requestJson) {
        String result = handle.shared(p -> {
            try (Arena arena = Arena.ofConfined()) {
                byte[] bytes = requestJson.getBytes(StandardCharsets.UTF_8);
                return ChatBridge.take(llama_h.jseek_chat_apply(p, arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes), bytes.length));
            }
        });
        return checked(result, description + " cannot render this conversation");
    }

    /** Parses a model's output with the parser params {@link #apply} returned; see jseek_chat.h. */
    static String parse(String paramsJson, String text) {
        requireBridge();
        try (Arena arena = Arena.ofConfined()) {
            byte[] params = paramsJson.getBytes(StandardCharsets.UTF_8);
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            String result = ChatBridge.take(llama_h.jseek_chat_parse(arena.allocateFrom(ValueLayout.JAVA_BYTE, params), params.length,
                    arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes), bytes.length));
            return checked(result, "llama.cpp cannot parse the model's output");
        }
    }

    /** Results are {"error": "..."} on failure; everything else is the caller's to read. */
    private static String checked(String resultJson, String context) {
        String error = ChatBridge.error(resultJson);
        if (error != null) {
            throw new JseekException(context + ": " + error);
        }
        return resultJson;
    }

    private static void requireBridge() {
        java.nio.file.Path dir = Backend.get().libraryDir();
        if (!ChatBridge.present()) {
            throw new JseekException(ChatBridge.missing(dir));
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
