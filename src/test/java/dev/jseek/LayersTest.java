package dev.jseek;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pipe, checked on the source tree: every package imports only from layers below it (native → bindings →
 * internal → core → chat → wire → cli, and chat/wire → langchain4j), the cli and langchain4j never touch the bindings or the
 * internals, and docs/LAYERS.md's drawing is exactly the tree's import graph (so it cannot go stale).
 */
class LayersTest {
    private static final Path REPO = Path.of(System.getProperty("jseek.repo", ".."));
    /** Each layer and the layers it may import from (dev.jseek packages only; the JDK and libraries are free). */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("bindings", Set.of()),
            Map.entry("gguf", Set.of()),
            Map.entry("models", Set.of("gguf")),
            Map.entry("internal", Set.of("bindings")),
            Map.entry("core", Set.of("bindings", "internal", "gguf", "models")),
            Map.entry("chat", Set.of("core", "bindings", "internal", "gguf", "models")),
            Map.entry("wire", Set.of("core", "chat", "gguf", "models")),
            Map.entry("serve", Set.of("core", "chat", "wire", "gguf", "models")),
            Map.entry("langchain4j", Set.of("core", "chat", "wire", "gguf", "models")),
            Map.entry("cli", Set.of("core", "chat", "wire", "gguf", "models", "serve")),
            Map.entry("examples", Set.of("core", "chat", "cli")),
            Map.entry("bench", Set.of("core", "chat", "gguf", "models", "cli")));
    /** The first name after dev.jseek: a lower-case package (bindings, chat, …) or a class of the core package. */
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?dev\\.jseek\\.(\\w+)", Pattern.MULTILINE);

    @Test
    void importsRunOnlyDownThePipeAndTheDrawingIsTheTree() throws IOException {
        Set<String> edges = new TreeSet<>();
        List<String> violations = new ArrayList<>();
        for (String root : List.of("bindings/java", "models/main/java", "src/main/java", "src/langchain4j/main/java", "cli/main/java", "bench")) {
            try (Stream<Path> files = Files.walk(REPO.resolve(root))) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                    String source = Files.readString(file);
                    String from = layer(packageOf(source));
                    Matcher m = IMPORT.matcher(source);
                    while (m.find()) {
                        String to = Character.isUpperCase(m.group(1).charAt(0)) ? "core" : layer("dev.jseek." + m.group(1));
                        if (to.equals(from)) {
                            continue;
                        }
                        edges.add(from + " --> " + to);
                        if (!ALLOWED.get(from).contains(to)) {
                            violations.add(REPO.relativize(file) + ": " + from + " imports " + to + " (dev.jseek." + m.group(1) + "…)");
                        }
                    }
                }
            }
        }
        assertEquals(List.of(), violations, "imports that run back up the pipe");
        String drawing = "```mermaid\ngraph TD\n" + String.join("\n", edges.stream().map(e -> "    " + e).toList()) + "\n```";
        String doc = Files.readString(REPO.resolve("docs/LAYERS.md"));
        assertTrue(doc.contains(drawing), "docs/LAYERS.md must hold the tree's import graph; it is now:\n" + drawing);
    }

    private static String packageOf(String source) {
        Matcher m = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE).matcher(source);
        return m.find() ? m.group(1) : "bench";
    }

    /** dev.jseek.bindings.llama → bindings, dev.jseek → core, dev.jseek.chat → chat, … */
    private static String layer(String pkg) {
        if (pkg.equals("bench")) {
            return "bench";
        }
        if (pkg.equals("dev.jseek")) {
            return "core";
        }
        String rest = pkg.substring("dev.jseek.".length());
        int dot = rest.indexOf('.');
        String first = dot < 0 ? rest : rest.substring(0, dot);
        if (!ALLOWED.containsKey(first)) {
            throw new UncheckedIOException(new IOException("package " + pkg + " belongs to no layer; add it to LayersTest"));
        }
        return first;
    }
}
