package dev.jseek;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * The Vulkan entry (native/prebuilt.sh vulkan: the CPU build plus the pin's prebuilt libggml-vulkan) this JVM runs on,
 * or why the Vulkan tests are skipped. src/pom.xml's vulkan-test execution gives these tests a JVM of their own (llama.cpp
 * is loaded once per process) with the entry's directory in {@code jseek.vulkan.entry}'s file and
 * GGML_VK_VISIBLE_DEVICES set.
 */
final class VulkanDevice {
    private static boolean prepared;
    private static String skipReason;
    private static Path entry;

    private VulkanDevice() {
    }

    /** Points the runtime at the Vulkan entry before anything loads llama.cpp; skips the caller when there is no device. */
    static synchronized Path require() {
        if (!prepared) {
            prepared = true;
            skipReason = prepare();
            if (skipReason != null) {
                System.err.println("[vulkan] skipped: " + skipReason);
            }
        }
        Assumptions.assumeTrue(skipReason == null, skipReason);
        return entry;
    }

    private static String prepare() {
        String file = System.getProperty("jseek.vulkan.entry");
        if (file == null) {
            return "the Vulkan tests run only in src/pom.xml's vulkan-test execution (in `./mvnw verify`; with -Dtest add -Pvulkan)";
        }
        if (!Files.isRegularFile(Path.of(file))) {
            return "there is no Vulkan entry: native/prebuilt.sh vulkan could not make one (the build log says why)";
        }
        try {
            entry = Path.of(Files.readString(Path.of(file)).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        System.setProperty("jseek.native.dir", entry.toString());
        Backend backend = Backend.get();
        if (!backend.libraryDir().equals(entry)) {
            return "llama.cpp was already loaded from " + backend.libraryDir() + " in this JVM";
        }
        if (backend.deviceNames().stream().noneMatch(n -> n.startsWith("Vulkan"))) {
            return "no Vulkan device here: " + backend.unavailableBackends().stream().map(UnavailableBackend::notice).toList()
                    + " (GGML_VK_VISIBLE_DEVICES=" + System.getenv("GGML_VK_VISIBLE_DEVICES") + ")";
        }
        return null;
    }

    /** The process environment for llama.cpp's tools: the same device as this JVM, or none (then they run on the CPU). */
    static void environment(Map<String, String> env, boolean device) {
        if (!device) {
            env.remove("GGML_VK_VISIBLE_DEVICES");
        }
    }

    /** llama.cpp's log lines (all levels) while open; the runtime routes them to the "dev.jseek.llama" logger. */
    static final class Log extends Handler implements AutoCloseable {
        private static final Logger LOGGER = Logger.getLogger("dev.jseek.llama");
        private final List<String> lines = new ArrayList<>();
        private final Level before;
        private final boolean parents;

        Log() {
            before = LOGGER.getLevel();
            parents = LOGGER.getUseParentHandlers();
            setLevel(Level.ALL);
            LOGGER.setLevel(Level.ALL);
            LOGGER.setUseParentHandlers(false); // captured, not printed
            LOGGER.addHandler(this);
        }

        @Override
        public synchronized void publish(LogRecord r) {
            lines.add(r.getMessage());
        }

        synchronized List<String> lines() {
            return List.copyOf(lines);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
            LOGGER.removeHandler(this);
            LOGGER.setLevel(before);
            LOGGER.setUseParentHandlers(parents);
        }
    }
}
