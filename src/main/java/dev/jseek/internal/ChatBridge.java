package dev.jseek.internal;

import dev.jseek.bindings.llama.llama_h;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * The plumbing of jseek's C bridge to llama.cpp's common chat library ({@code native/shim/jseek_chat.h}): results are
 * JSON text the bridge malloc'd, {@code {"error": "..."}} on failure. Shared by the core (JSON Schema to grammar) and
 * the chat layer (templates); not exported.
 */
public final class ChatBridge {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Leases a model's pointer for the chat layer; the core's Model registers it (the JDK's SharedSecrets pattern). */
    private static volatile Function<Object, NativeHandle.Lease> modelLeases;

    private ChatBridge() {
    }

    /** Whether the bridge library is loaded. */
    public static boolean present() {
        return SymbolLookup.loaderLookup().find("jseek_chat_init").isPresent();
    }

    /** The sentence for a bridge that is not in {@code dir}. */
    public static String missing(Path dir) {
        return "jseek's chat bridge (libjseek-common) is not in " + dir
                + "; run native/build.sh, which builds it beside the llama.cpp libraries.";
    }

    /** Copies a string the bridge malloc'd, then frees it. */
    public static String take(MemorySegment s) {
        if (s.equals(MemorySegment.NULL)) {
            throw new OutOfMemoryError("jseek's chat bridge could not allocate its result");
        }
        try {
            return s.reinterpret(Long.MAX_VALUE).getString(0, StandardCharsets.UTF_8);
        } finally {
            llama_h.jseek_chat_string_free(s);
        }
    }

    /** The reason of a failed result, or null when it succeeded. */
    public static String error(String resultJson) {
        if (!resultJson.startsWith("{\"error\":")) {
            return null;
        }
        try {
            return JSON.readTree(resultJson).path("error").asText();
        } catch (JsonProcessingException e) {
            return resultJson;
        }
    }

    /** A result, which is JSON by the bridge's contract. */
    public static JsonNode read(String resultJson) {
        try {
            return JSON.readTree(resultJson);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("jseek's chat bridge returned bad JSON: " + e.getOriginalMessage(), e);
        }
    }

    public static void registerModelLeases(Function<Object, NativeHandle.Lease> leases) {
        modelLeases = leases;
    }

    /** Holds a model's pointer for a bridge call (the model is the core's {@code Model}). */
    public static NativeHandle.Lease leaseModel(Object model) {
        return modelLeases.apply(model);
    }
}
