package dev.jseek.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The natives jar this build made (native/package.sh): the runtime's libraries only, each as its manifest says. */
class NativesJarContentTest {

    @Test
    void holdsTheRuntimesLibrariesAndNothingElseEachWithItsChecksum() throws Exception {
        Path jarFile = Path.of(System.getProperty("jseek.test.jar.natives", ""));
        if (!Files.isRegularFile(jarFile)) {
            fail(jarFile + " is missing: run this test through ./mvnw verify (or package), which makes the natives jar.");
        }
        String platform = System.getProperty("jseek.test.platform");
        String dir = "META-INF/jseek/natives/" + platform + "/";
        Map<String, String> shipped = new TreeMap<>();
        Properties manifest = new Properties();
        try (JarFile jar = new JarFile(jarFile.toFile())) {
            for (JarEntry e : jar.stream().filter(e -> !e.isDirectory()).toList()) {
                if (e.getName().startsWith("META-INF/maven/") || e.getName().equals("META-INF/MANIFEST.MF")) {
                    continue;
                }
                assertTrue(e.getName().startsWith(dir), "outside " + dir + ": " + e.getName());
                String name = e.getName().substring(dir.length());
                try (InputStream in = jar.getInputStream(e)) {
                    byte[] bytes = in.readAllBytes();
                    if (name.equals("natives.properties")) {
                        manifest.load(new ByteArrayInputStream(bytes));
                    } else {
                        shipped.put(name, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)));
                    }
                }
            }
        }
        Map<String, String> listed = new TreeMap<>();
        manifest.stringPropertyNames().stream().filter(k -> k.startsWith("sha256."))
                .forEach(k -> listed.put(k.substring("sha256.".length()), manifest.getProperty(k)));
        assertEquals(listed, shipped, "every file in the jar, and only those, with the manifest's sha256");

        assertEquals(platform, manifest.getProperty("classifier"));
        assertEquals(readPinnedVersion(), manifest.getProperty("llama.version"));
        assumeTrue(platform.startsWith("linux"), "the names below are Linux's");
        // what the runtime loads, under the names their NEEDED entries ask for, plus the CPU variants
        for (String lib : new String[] {"libggml-base.so.0", "libggml.so.0", "libllama.so.0", "libllama-common.so.0",
                "libggml-rpc.so", "libjseek-shim.so", "libjseek-common.so", "libggml-cpu-x64.so"}) {
            assertTrue(shipped.containsKey(lib), lib + " is missing: " + shipped.keySet());
        }
        assertEquals("libllama.so.0", manifest.getProperty("link.libllama.so"));
        // llama.cpp's reference tools and their libraries stay out
        for (String name : shipped.keySet()) {
            assertTrue(name.startsWith("libggml") || name.startsWith("libllama.") || name.startsWith("libllama-common.")
                    || name.startsWith("libjseek-"), "not a runtime library: " + name);
        }
    }

    private static String readPinnedVersion() throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(System.getProperty("jseek.test.root", "..")).resolve("native/llama.cpp.properties"))) {
            p.load(in);
        }
        return p.getProperty("llama.version");
    }
}
