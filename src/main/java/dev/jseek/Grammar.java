package dev.jseek;

import dev.jseek.bindings.llama.llama_h;
import dev.jseek.internal.ChatBridge;

import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * A GBNF grammar (llama.cpp's format) that constrains sampling: only tokens that keep the output inside the
 * grammar can be drawn. A lazy grammar (llama.cpp's, for tool calls the model may or may not make) lets
 * everything through until a trigger appears, then constrains the output from the trigger on.
 *
 * @param gbnf            the production rules
 * @param root            the start symbol
 * @param triggerPatterns for a lazy grammar: regular expressions whose match starts the constrained part
 * @param triggerTokens   for a lazy grammar: tokens that start it
 */
public record Grammar(String gbnf, String root, List<String> triggerPatterns, List<Integer> triggerTokens) {

    public Grammar {
        Objects.requireNonNull(gbnf, "gbnf");
        Objects.requireNonNull(root, "root");
        triggerPatterns = List.copyOf(triggerPatterns);
        triggerTokens = List.copyOf(triggerTokens);
        if (gbnf.isBlank()) {
            throw new InvalidRequestException("The grammar is empty; give at least one rule, e.g. root ::= \"yes\" | \"no\".");
        }
    }

    public Grammar(String gbnf, String root) {
        this(gbnf, root, List.of(), List.of());
    }

    /**
     * The grammar of a JSON Schema, by llama.cpp's own converter (as llama-server's {@code response_format}).
     *
     * @throws InvalidRequestException with the converter's reason when the schema is not one it handles
     */
    public static Grammar fromJsonSchema(String schemaJson) {
        java.nio.file.Path dir = Backend.get().libraryDir();
        if (!ChatBridge.present()) {
            throw new JseekException(ChatBridge.missing(dir));
        }
        String result;
        try (Arena arena = Arena.ofConfined()) {
            byte[] bytes = schemaJson.getBytes(StandardCharsets.UTF_8);
            result = ChatBridge.take(llama_h.jseek_chat_schema_to_grammar(arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes), bytes.length));
        }
        String error = ChatBridge.error(result);
        if (error != null) {
            // the caller's schema; the converter's reason spans lines, the caller gets one
            throw new InvalidRequestException("llama.cpp cannot convert the JSON Schema: " + error.strip().replaceAll("\\s*\\R\\s*", " "));
        }
        return of(ChatBridge.read(result).path("grammar").asText());
    }

    /** A grammar with start symbol "root". */
    public static Grammar of(String gbnf) {
        return new Grammar(gbnf, "root");
    }

    /** A lazy grammar (start symbol "root"): free output until a trigger pattern matches or a trigger token comes. */
    public static Grammar lazy(String gbnf, List<String> triggerPatterns, List<Integer> triggerTokens) {
        if (triggerPatterns.isEmpty() && triggerTokens.isEmpty()) {
            throw new IllegalArgumentException("a lazy grammar needs at least one trigger");
        }
        return new Grammar(gbnf, "root", triggerPatterns, triggerTokens);
    }

    /** Whether the grammar waits for a trigger. */
    public boolean lazy() {
        return !triggerPatterns.isEmpty() || !triggerTokens.isEmpty();
    }

    /** Any JSON value (object, array, string, number, true, false, null), with optional whitespace. */
    public static Grammar json() {
        return of("""
                root   ::= ws value ws
                value  ::= object | array | string | number | "true" | "false" | "null"
                object ::= "{" ws ( member ( ws "," ws member )* )? ws "}"
                member ::= string ws ":" ws value
                array  ::= "[" ws ( value ( ws "," ws value )* )? ws "]"
                string ::= "\\"" ( [^"\\\\\\x00-\\x1f] | "\\\\" ( ["\\\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\\""
                number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
                ws     ::= [ \\t\\n\\r]{0,20}
                """);
    }
}
