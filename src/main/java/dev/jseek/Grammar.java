package dev.jseek;

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
