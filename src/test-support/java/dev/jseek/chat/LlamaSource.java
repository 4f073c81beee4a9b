package dev.jseek.chat;

import dev.jseek.Backend;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The pinned llama.cpp source the native libraries were built from (the {@code source=} line of the native
 * directory's build.properties), and a small tokenizer of C++ source, enough to read the string literals
 * (plain and raw, adjacent ones joined) of llama.cpp's own test files. Shared by every module's tests (the
 * runtime's test-jar): the one place they find llama.cpp's templates and test sources.
 */
public final class LlamaSource {
    private LlamaSource() {
    }

    /** The llama.cpp source directory the native build used. */
    public static Path dir() {
        Path properties = Backend.get().libraryDir().resolve("build.properties");
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(properties, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + properties + " (run native/build.sh)", e);
        }
        String source = p.getProperty("source");
        if (source == null || source.isBlank()) {
            throw new IllegalStateException(properties + " has no source= line naming the llama.cpp source");
        }
        Path dir = Path.of(source);
        if (!Files.isDirectory(dir.resolve("tests"))) {
            throw new IllegalStateException("the llama.cpp source " + dir + " (from " + properties + ") has no tests/ directory");
        }
        return dir;
    }

    /** A file of the source tree, e.g. models/templates/deepseek-ai-DeepSeek-V3.2.jinja. */
    public static String read(String relative) {
        Path file = dir().resolve(relative);
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    enum Kind { IDENT, STRING, NUMBER, PUNCT }

    /** A token; for STRING the decoded value of one literal (adjacent literals are separate tokens). */
    record Token(Kind kind, String text, int offset) {
        boolean is(String punctOrIdent) {
            return kind != Kind.STRING && text.equals(punctOrIdent);
        }
    }

    /** Tokenizes C++ source: comments and preprocessor lines are skipped. */
    static List<Token> tokenize(String src) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        int n = src.length();
        boolean lineStart = true;
        while (i < n) {
            char c = src.charAt(i);
            if (c == '\n') {
                lineStart = true;
                i++;
                continue;
            }
            if (Character.isWhitespace(c)) {
                i++;
                continue;
            }
            if (lineStart && c == '#') { // preprocessor line (with continuations)
                while (i < n && src.charAt(i) != '\n') {
                    i += src.charAt(i) == '\\' && i + 1 < n ? 2 : 1;
                }
                continue;
            }
            lineStart = false;
            if (src.startsWith("//", i)) {
                while (i < n && src.charAt(i) != '\n') {
                    i++;
                }
                continue;
            }
            if (src.startsWith("/*", i)) {
                int end = src.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new IllegalArgumentException("unterminated comment at " + i);
                }
                i = end + 2;
                continue;
            }
            int start = i;
            if (Character.isJavaIdentifierStart(c)) {
                while (i < n && Character.isJavaIdentifierPart(src.charAt(i))) {
                    i++;
                }
                String word = src.substring(start, i);
                boolean rawPrefix = word.equals("R") || word.equals("u8R") || word.equals("LR") || word.equals("uR") || word.equals("UR");
                boolean plainPrefix = word.equals("u8") || word.equals("L") || word.equals("u") || word.equals("U");
                if (rawPrefix && i < n && src.charAt(i) == '"') {
                    int open = src.indexOf('(', i + 1);
                    if (open < 0 || open - i - 1 > 16) {
                        throw new IllegalArgumentException("bad raw string delimiter at " + start);
                    }
                    String delim = src.substring(i + 1, open);
                    String close = ")" + delim + "\"";
                    int end = src.indexOf(close, open + 1);
                    if (end < 0) {
                        throw new IllegalArgumentException("unterminated raw string at " + start);
                    }
                    out.add(new Token(Kind.STRING, src.substring(open + 1, end), start));
                    i = end + close.length();
                    continue;
                }
                if (plainPrefix && i < n && src.charAt(i) == '"') {
                    continue; // the literal follows; the prefix changes nothing for UTF-8 source text
                }
                out.add(new Token(Kind.IDENT, word, start));
                continue;
            }
            if (Character.isDigit(c)) {
                while (i < n && (Character.isLetterOrDigit(src.charAt(i)) || src.charAt(i) == '.' || src.charAt(i) == '\'')) {
                    i++;
                }
                out.add(new Token(Kind.NUMBER, src.substring(start, i), start));
                continue;
            }
            if (c == '"' || c == '\'') {
                StringBuilder value = new StringBuilder();
                i = plainLiteral(src, i, value);
                out.add(new Token(c == '"' ? Kind.STRING : Kind.NUMBER, value.toString(), start));
                continue;
            }
            out.add(new Token(Kind.PUNCT, String.valueOf(c), start));
            i++;
        }
        return out;
    }

    /** Reads a quoted literal starting at {@code i} (the quote); returns the index after its closing quote. */
    private static int plainLiteral(String src, int i, StringBuilder value) {
        char quote = src.charAt(i);
        i++;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        while (true) {
            if (i >= src.length() || src.charAt(i) == '\n') {
                throw new IllegalArgumentException("unterminated literal near " + i);
            }
            char c = src.charAt(i);
            if (c == quote) {
                i++;
                break;
            }
            if (c != '\\') {
                int cp = src.codePointAt(i);
                bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(cp);
                continue;
            }
            char e = src.charAt(i + 1);
            i += 2;
            switch (e) {
                case 'n' -> bytes.write('\n');
                case 't' -> bytes.write('\t');
                case 'r' -> bytes.write('\r');
                case 'b' -> bytes.write('\b');
                case 'f' -> bytes.write('\f');
                case 'v' -> bytes.write(0x0B);
                case 'a' -> bytes.write(0x07);
                case '\\', '"', '\'', '?' -> bytes.write(e);
                case 'x' -> {
                    int s = i;
                    while (i < src.length() && Character.digit(src.charAt(i), 16) >= 0) {
                        i++;
                    }
                    bytes.write(Integer.parseInt(src.substring(s, i), 16));
                }
                case 'u', 'U' -> {
                    int len = e == 'u' ? 4 : 8;
                    int cp = Integer.parseInt(src.substring(i, i + len), 16);
                    bytes.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
                    i += len;
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int s = i - 1;
                        while (i < src.length() && i - s < 3 && src.charAt(i) >= '0' && src.charAt(i) <= '7') {
                            i++;
                        }
                        bytes.write(Integer.parseInt(src.substring(s, i), 8));
                    } else {
                        throw new IllegalArgumentException("unknown escape \\" + e + " near " + i);
                    }
                }
            }
        }
        value.append(bytes.toString(StandardCharsets.UTF_8));
        return i;
    }

    /** The index of the token that closes the bracket opened at {@code open} ((, { or [). */
    static int matching(List<Token> tokens, int open) {
        String o = tokens.get(open).text();
        String c = switch (o) {
            case "(" -> ")";
            case "{" -> "}";
            case "[" -> "]";
            default -> throw new IllegalArgumentException("not an opening bracket: " + o);
        };
        int depth = 0;
        for (int i = open; i < tokens.size(); i++) {
            Token t = tokens.get(i);
            if (t.kind() == Kind.PUNCT && t.text().equals(o)) {
                depth++;
            } else if (t.kind() == Kind.PUNCT && t.text().equals(c)) {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        throw new IllegalArgumentException("unbalanced " + o + " at token " + open);
    }

    /** Splits tokens [from, to) at top-level commas. */
    static List<List<Token>> arguments(List<Token> tokens, int from, int to) {
        List<List<Token>> args = new ArrayList<>();
        List<Token> current = new ArrayList<>();
        int depth = 0;
        for (int i = from; i < to; i++) {
            Token t = tokens.get(i);
            if (t.kind() == Kind.PUNCT) {
                switch (t.text()) {
                    case "(", "{", "[" -> depth++;
                    case ")", "}", "]" -> depth--;
                    case "," -> {
                        if (depth == 0) {
                            args.add(current);
                            current = new ArrayList<>();
                            continue;
                        }
                    }
                    default -> {
                    }
                }
            }
            current.add(t);
        }
        if (!current.isEmpty()) {
            args.add(current);
        }
        return args;
    }

    /** The value of an argument made only of adjacent string literals; throws otherwise. */
    static String string(List<Token> arg, String what) {
        if (arg.isEmpty() || arg.stream().anyMatch(t -> t.kind() != Kind.STRING)) {
            throw new IllegalArgumentException(what + " is not a string literal: " + arg);
        }
        StringBuilder sb = new StringBuilder();
        arg.forEach(t -> sb.append(t.text()));
        return sb.toString();
    }
}
