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
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The natives jars this build made (native/package.sh): the runtime's libraries only, each as its manifest says; a GPU
 * jar is the CPU jar's files plus the one module prebuilt by our pin's CI, and its manifest names the npm package
 * and integrity it came from (native/prebuilt.properties) and what the user's machine must provide.
 */
class NativesJarContentTest {
    private static final String PLATFORM = System.getProperty("jseek.test.platform");

    @Test
    void holdsTheRuntimesLibrariesAndNothingElseEachWithItsChecksum() throws Exception {
        Contents cpu = read(jar(""), PLATFORM);
        assertEquals("cpu+rpc", cpu.manifest().getProperty("backends").replace("+metal", ""), "the CPU set's backends");
        assumeTrue(PLATFORM.startsWith("linux"), "the names below are Linux's");
        // what the runtime loads, under the names their NEEDED entries ask for, plus the CPU variants
        for (String lib : new String[] {"libggml-base.so.0", "libggml.so.0", "libllama.so.0", "libllama-common.so.0",
                "libggml-rpc.so", "libjseek-shim.so", "libjseek-common.so", "libggml-cpu-x64.so"}) {
            assertTrue(cpu.shipped().containsKey(lib), lib + " is missing: " + cpu.shipped().keySet());
        }
        assertEquals("libllama.so.0", cpu.manifest().getProperty("link.libllama.so"));
        assertTrue(cpu.shipped().keySet().stream().noneMatch(n -> n.equals("libggml-cuda.so") || n.equals("libggml-vulkan.so")),
                "no GPU module in the CPU set: " + cpu.shipped().keySet());
    }

    /** Built by default where the pin's CI publishes the module (Linux x86-64), unless -Djseek.vulkan.skip. */
    @Test
    void theVulkanJarIsTheCpuSetPlusThePrebuiltVulkanModule() throws Exception {
        assumeTrue(Boolean.getBoolean("jseek.test.natives.vulkan"),
                "no Vulkan natives jar is built here (only on Linux x86-64, and not with -Djseek.vulkan.skip)");
        checkGpuJar("vulkan", "libggml-vulkan.so", "libvulkan.so.1");
    }

    /** Built only with -Djseek.cuda (159 MB); checked whenever one is there. */
    @Test
    void aCudaJarIsTheCpuSetPlusOneCudaModule() throws Exception {
        Path jar = jar("-cuda");
        assumeTrue(Files.isRegularFile(jar), "no CUDA natives jar was built (./mvnw package -Djseek.cuda builds it): " + jar);
        Contents cuda = checkGpuJar("cuda", "libggml-cuda.so", "libcublas.so.13");
        if (cuda.manifest().getProperty("prebuilt.cuda") == null) {
            // -Djseek.cuda=source: a module compiled here, whose CUDA version is the toolkit's
            assertTrue(cuda.manifest().getProperty("build.key").matches(".*\\+cuda-[0-9a-f]{8}"), cuda.manifest().toString());
        }
    }

    /** Built on x86-64 only with -Djseek.arm64: the arm64 CPU set our pin's CI built, with the shim cross-compiled. */
    @Test
    void anArm64JarHoldsTheArm64CpuSetAndACrossCompiledShim() throws Exception {
        Path cpu = jar("");
        Path jar = cpu.resolveSibling(cpu.getFileName().toString().replace(PLATFORM + ".jar", "linux-arm64.jar"));
        assumeTrue(!PLATFORM.equals("linux-arm64") && Files.isRegularFile(jar),
                "no cross-made linux-arm64 natives jar (./mvnw package -Djseek.arm64 makes one on x86-64): " + jar);
        Contents arm = read(jar, "linux-arm64");
        Properties pins = properties(root().resolve("native/prebuilt.properties"));
        assertEquals(pins.getProperty("cpu.linux-arm64.package") + " " + pins.getProperty("cpu.linux-arm64.integrity"),
                arm.manifest().getProperty("prebuilt.cpu"));
        for (String lib : new String[] {"libggml-base.so", "libggml.v0.5.0.so", "libllama.v0.5.0.so", "libllama-common.so",
                "libjseek-shim.so", "libjseek-common.so", "libggml-cpu-armv8.0_1.so"}) {
            assertTrue(arm.shipped().containsKey(lib), lib + " is missing: " + arm.shipped().keySet());
        }
        assertEquals("libllama.v0.5.0.so", arm.manifest().getProperty("link.libllama.so"));
        try (JarFile file = new JarFile(jar.toFile())) {
            for (String name : arm.shipped().keySet()) {
                byte[] header = file.getInputStream(file.getEntry("META-INF/jseek/natives/linux-arm64/" + name)).readNBytes(20);
                // ELF e_machine, little-endian at offset 18: 183 is AArch64
                assertEquals(183, (header[18] & 0xff) | (header[19] & 0xff) << 8, name + " is not an AArch64 library");
            }
        }
    }

    private static Contents checkGpuJar(String gpu, String module, String runtimeLibrary) throws Exception {
        Contents cpu = read(jar(""), PLATFORM);
        Contents set = read(jar("-" + gpu), PLATFORM + "-" + gpu);
        Map<String, String> withoutModule = new TreeMap<>(set.shipped());
        assertNotNull(withoutModule.remove(module), module + " is missing: " + set.shipped().keySet());
        assertEquals(cpu.shipped(), withoutModule, "the CPU set's files, byte for byte, and " + module);
        assertEquals(cpu.manifest().getProperty("backends") + "+" + gpu, set.manifest().getProperty("backends"));
        for (String key : new String[] {"llama.version", "platform"}) {
            assertEquals(cpu.manifest().getProperty(key), set.manifest().getProperty(key), key);
        }
        String prebuilt = set.manifest().getProperty("prebuilt." + gpu);
        if (gpu.equals("vulkan") || prebuilt != null) {
            Properties pins = properties(root().resolve("native/prebuilt.properties"));
            assertEquals(pins.getProperty(gpu + ".package") + " " + pins.getProperty(gpu + ".integrity"), prebuilt,
                    "the package and sha512 the module came from, as native/prebuilt.properties pins them");
            String needs = set.manifest().getProperty("prebuilt." + gpu + ".needs");
            assertEquals(pins.getProperty(gpu + ".needs"), needs);
            assertTrue(needs.contains(runtimeLibrary), "what the user must install: " + needs);
            String key = set.manifest().getProperty("build.key");
            assertTrue(key.matches(".*\\+" + gpu + "-.*prebuilt-[0-9a-f]{8}"), "prebuilt.sh's cache entry: " + key);
        }
        // the prebuilt module asks for libggml-base.so by that name: the runtime makes it a link to the soname
        assertEquals("libggml-base.so.0", set.manifest().getProperty("link.libggml-base.so"));
        return set;
    }

    record Contents(Map<String, String> shipped, Properties manifest) {
    }

    /** Every file in the jar, and only those, with the manifest's sha256; the manifest's classifier and release. */
    private static Contents read(Path jarFile, String classifier) throws Exception {
        if (!Files.isRegularFile(jarFile)) {
            fail(jarFile + " is missing: run this test through ./mvnw verify (or package), which makes the natives jars.");
        }
        String dir = "META-INF/jseek/natives/" + classifier + "/";
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
        assertEquals(listed, shipped, jarFile.getFileName() + ": every file in the jar, and only those, with the manifest's sha256");
        assertEquals(classifier, manifest.getProperty("classifier"));
        assertEquals(properties(root().resolve("native/llama.cpp.properties")).getProperty("llama.version"),
                manifest.getProperty("llama.version"));
        // llama.cpp's reference tools and their libraries stay out
        for (String name : shipped.keySet()) {
            assertTrue(name.startsWith("libggml") || name.startsWith("libllama.") || name.startsWith("libllama-common.")
                    || name.startsWith("libjseek-"), "not a runtime library: " + name);
        }
        return new Contents(shipped, manifest);
    }

    /** The natives module's jar with this classifier suffix ("" for the CPU set). */
    private static Path jar(String suffix) {
        Path cpu = Path.of(System.getProperty("jseek.test.jar.natives", ""));
        return cpu.resolveSibling(cpu.getFileName().toString().replace(".jar", suffix + ".jar"));
    }

    private static Path root() {
        return Path.of(System.getProperty("jseek.test.root", ".."));
    }

    private static Properties properties(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        return p;
    }
}
