package dev.jseek;

import java.util.Objects;

/**
 * A GBNF grammar (llama.cpp's format) that constrains sampling: only tokens that keep the output inside the
 * grammar can be drawn.
 *
 * @param gbnf the production rules
 * @param root the start symbol
 */
public record Grammar(String gbnf, String root) {

    public Grammar {
        Objects.requireNonNull(gbnf, "gbnf");
        Objects.requireNonNull(root, "root");
        if (gbnf.isBlank()) {
            throw new IllegalArgumentException("a grammar needs at least one rule");
        }
    }

    /** A grammar with start symbol "root". */
    public static Grammar of(String gbnf) {
        return new Grammar(gbnf, "root");
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
