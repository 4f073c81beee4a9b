package dev.jseek.cli;

import dev.jseek.Backend;
import dev.jseek.models.TinyDeepSeek;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The no-compiler path (native/prebuilt.sh cpu, or JSEEK_NATIVE=prebuilt): the CPU set our pin's CI built, with only
 * jseek's shim compiled against the pinned headers and linked to that set's libllama-common. A chat turn on the demo
 * model, which goes through the shim (the model's template rendered by llama.cpp's common library), must give the
 * source build's greedy reply. The set is fetched once (11 MB) and the shim compiled once, into the test work
 * directory.
 */
class PrebuiltCpuSetTest {
    private static final Path ROOT = Path.of(System.getProperty("jseek.test.root", ".."));
    private static final Path MODEL = DemoModel.ensure(Path.of(System.getProperty("jseek.test.work", "target/test-work")),
            TinyDeepSeek.Config.defaults());

    @Test
    void thePrebuiltCpuSetWithOurShimGivesTheSourceBuildsChatReply() throws Exception {
        Properties pins = new Properties();
        try (InputStream in = Files.newInputStream(ROOT.resolve("native/prebuilt.properties"))) {
            pins.load(in);
        }
        String platform = System.getProperty("jseek.test.platform");
        String pin = pins.getProperty("cpu." + platform + ".package");
        assumeTrue(pin != null, "our pin's CI publishes no CPU set for " + platform);
        Path entry = prebuiltCpuSet();
        Properties built = new Properties();
        try (InputStream in = Files.newInputStream(entry.resolve("build.properties"))) {
            built.load(in);
        }
        assertEquals(pin + " " + pins.getProperty("cpu." + platform + ".integrity"), built.getProperty("prebuilt.cpu"));

        String[] chat = {"run", "-m", MODEL.toString(), "--temp", "0", "-n", "32", "--no-preflight", "Why is the sea salty?"};
        Outcome prebuilt = Subprocess.run(entry, null, Duration.ofMinutes(2), chat);
        Outcome source = Subprocess.run(Backend.get().libraryDir(), null, Duration.ofMinutes(2), chat);
        assertEquals(0, prebuilt.code(), prebuilt.err());
        assertFalse((source.out() + reasoning(source.err())).isBlank(), source.err());
        assertEquals(source.out(), prebuilt.out(), "the source build's reply");
        assertEquals(reasoning(source.err()), reasoning(prebuilt.err()), "the source build's reasoning");
    }

    /**
     * native/prebuilt.sh cpu's entry, in a cache of the test's own under the test work directory (kept between runs,
     * and never found by another checkout's cache search), which shares the pinned source with jseek's cache; skipped,
     * saying why, where the npm registry cannot be reached.
     */
    private static Path prebuiltCpuSet() throws IOException, InterruptedException {
        Path cache = Files.createDirectories(Path.of(System.getProperty("jseek.test.work", "target/test-work")).resolve("prebuilt-cache"));
        Path sharedSource = Backend.cacheDirectory().resolve("src");
        if (!Files.exists(cache.resolve("src"), java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.isDirectory(sharedSource)) {
            Files.createSymbolicLink(cache.resolve("src"), sharedSource.toAbsolutePath());
        }
        ProcessBuilder pb = new ProcessBuilder("bash", ROOT.resolve("native/prebuilt.sh").toString(), "cpu");
        pb.environment().put("JSEEK_CACHE", cache.toString());
        Process p = pb.start();
        byte[] err = p.getErrorStream().readAllBytes();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        String stderr = new String(err, StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            assumeTrue(!stderr.contains("npm pack") && !stderr.contains("npm is not installed"),
                    "the npm registry cannot be reached, so the prebuilt CPU set cannot be fetched: " + stderr.strip());
            fail("native/prebuilt.sh cpu failed: " + stderr);
        }
        return Path.of(out.lines().reduce((a, b) -> b).orElseThrow());
    }

    /** The reasoning block jseek writes to stderr, without the statistics line (its speeds differ). */
    private static String reasoning(String err) {
        return err.lines().filter(l -> !l.startsWith("jseek:")).reduce("", (a, b) -> a + b + "\n");
    }
}
