package dev.jseek;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every function jextract generated a binding for resolves in the built libraries: catches version drift. */
class BindingsSymbolsTest {

    @Test
    void everyGeneratedFunctionResolves() throws IOException {
        Backend.get();
        List<String> functions;
        try (InputStream in = getClass().getResourceAsStream("/dev/jseek/bindings/includes.txt")) {
            functions = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> l.startsWith("--include-function "))
                    .map(l -> l.substring("--include-function ".length()).strip())
                    .toList();
        }
        assertTrue(functions.size() > 200, "the include list looks truncated: " + functions.size() + " functions");
        SymbolLookup lookup = SymbolLookup.loaderLookup();
        List<String> missing = functions.stream().filter(f -> lookup.find(f).isEmpty()).toList();
        assertEquals(List.of(), missing, "functions with bindings but no symbol in the libraries");
    }
}
