package dev.jseek;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.GroupLayout;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.PaddingLayout;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every struct jextract generated a layout for has the size, alignment, field offsets and field sizes that the C
 * compiler gives the same struct in the pinned headers. A llama.cpp pin that adds, removes or retypes a field
 * fails here instead of silently reading and writing the wrong bytes. The test writes a C program that prints
 * sizeof/_Alignof/offsetof for every struct and field it finds by reflection on the bindings, compiles it with cc
 * (a build requirement already: native/build.sh needs a C compiler) against the headers jextract read
 * (bindings/jseek.h with the pinned source's include/ and ggml/include/), runs it and compares.
 */
class BindingsLayoutTest {
    private static final String PACKAGE = "dev.jseek.bindings.llama.";

    /** What the Java layouts say, keyed as the C program prints them: "struct.sizeof", "struct.field.offsetof", "struct.outer.inner.sizeof". */
    private record Expected(Map<String, Long> values, List<String> structs) {
    }

    @Test
    void everyStructLayoutMatchesTheCompiler(@TempDir Path dir) throws Exception {
        Expected java = javaLayouts();
        assertTrue(java.structs().size() >= 20, "structs with layouts: " + java.structs());

        Path repo = Path.of(System.getProperty("jseek.repo", ".."));
        Path source = Path.of(run(dir, List.of("bash", repo.resolve("native/build.sh").toString(), "--source")).strip());
        Path program = Files.writeString(dir.resolve("layouts.c"), cProgram(java, repo.resolve("bindings/jseek.h")));
        String cc = System.getenv().getOrDefault("CC", "cc");
        run(dir, List.of(cc, "-std=gnu11", "-I", source.resolve("include").toString(), "-I",
                source.resolve("ggml/include").toString(), "-I", repo.resolve("native/shim").toString(), // jseek_chat.h, jseek_fit.h
                "-o", dir.resolve("layouts").toString(), program.toString()));
        Map<String, Long> c = new LinkedHashMap<>();
        run(dir, List.of(dir.resolve("layouts").toString())).lines().forEach(line -> {
            String[] kv = line.split(" ");
            c.put(kv[0], Long.parseLong(kv[1]));
        });

        assertEquals(java.values().keySet(), c.keySet(), "the C program printed every name asked for");
        List<String> wrong = new ArrayList<>();
        java.values().forEach((name, value) -> {
            if (!value.equals(c.get(name))) {
                wrong.add(name + ": Java layout " + value + ", C " + c.get(name));
            }
        });
        assertEquals(List.of(), wrong, "bindings that disagree with the pinned headers in " + source
                + " (regenerate them with bindings/generate.sh)");
    }

    /** Size and alignment of each struct; offset and size of each named field, nested structs and anonymous unions included. */
    private static Expected javaLayouts() throws IOException, ReflectiveOperationException {
        List<String> names;
        try (InputStream in = BindingsLayoutTest.class.getResourceAsStream("/dev/jseek/bindings/includes.txt")) {
            names = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("--include-struct "))
                    .map(l -> l.substring("--include-struct ".length()).strip())
                    .toList();
        }
        Map<String, Long> values = new LinkedHashMap<>();
        List<String> structs = new ArrayList<>();
        for (String name : names) {
            Class<?> type;
            try {
                type = Class.forName(PACKAGE + name);
            } catch (ClassNotFoundException e) {
                continue; // an opaque struct (llama_model, llama_context, ...): jextract generates no class for it
            }
            Method layout = type.getMethod("layout");
            GroupLayout group = (GroupLayout) layout.invoke(null);
            structs.add(name);
            values.put(name + ".sizeof", group.byteSize());
            values.put(name + ".alignof", group.byteAlignment());
            fields(name, "", 0, group, values);
        }
        return new Expected(values, structs);
    }

    private static void fields(String struct, String prefix, long base, GroupLayout group, Map<String, Long> values) {
        for (MemoryLayout member : group.memberLayouts()) {
            if (member instanceof PaddingLayout || member.name().isEmpty()) {
                continue;
            }
            String name = member.name().get();
            long offset = base + group.byteOffset(MemoryLayout.PathElement.groupElement(name));
            if (name.startsWith("$anon$")) {
                // an anonymous union or struct: its members are named in C as if they were the enclosing struct's
                fields(struct, prefix, offset, (GroupLayout) member, values);
                continue;
            }
            values.put(struct + "." + prefix + name + ".offsetof", offset);
            values.put(struct + "." + prefix + name + ".sizeof", member.byteSize());
            if (member instanceof GroupLayout inner) {
                fields(struct, prefix + name + ".", offset, inner, values);
            }
        }
    }

    private static String cProgram(Expected java, Path header) {
        StringBuilder c = new StringBuilder("#include <stddef.h>\n#include <stdio.h>\n#include \"" + header + "\"\n\nint main(void) {\n");
        for (String key : java.values().keySet()) {
            int first = key.indexOf('.');
            int last = key.lastIndexOf('.');
            String struct = key.substring(0, first);
            String field = first == last ? "" : key.substring(first + 1, last);
            String what = key.substring(last + 1);
            String expression = switch (what) {
                case "offsetof" -> "offsetof(struct " + struct + ", " + field + ")";
                case "sizeof" -> field.isEmpty() ? "sizeof(struct " + struct + ")" : "sizeof(((struct " + struct + " *) 0)->" + field + ")";
                case "alignof" -> "_Alignof(struct " + struct + ")";
                default -> throw new IllegalStateException(key);
            };
            c.append("    printf(\"%s %zu\\n\", \"").append(key).append("\", (size_t) (").append(expression).append("));\n");
        }
        return c.append("    return 0;\n}\n").toString();
    }

    /** Runs a command in dir and returns its stdout; a missing program or a failure stops the test with its stderr. */
    private static String run(Path dir, List<String> command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectError(dir.resolve("stderr.txt").toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command.getFirst() + " (" + e.getMessage() + "); this test needs a C compiler"
                    + " (cc, or CC=...), as native/build.sh does", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), command + " did not finish");
        assertEquals(0, p.exitValue(), command + " failed: " + Files.readString(dir.resolve("stderr.txt")));
        return out;
    }
}
