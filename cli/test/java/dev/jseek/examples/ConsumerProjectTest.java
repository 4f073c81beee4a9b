package dev.jseek.examples;

import dev.jseek.TestModels;
import dev.jseek.Backend;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplingPreset;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * jseek as a Java dependency: the plain Maven project in cli/test/consumer (dev.jseek:jseek-runtime and the natives jar,
 * nothing else) is built against the jars this build just made and run with plain {@code java}, on the module path and
 * then on the class path: no -Djseek.native.dir, no JSEEK_NATIVE_DIR, a fresh cache (holding a link to the native
 * build, which the jar must come before). It must answer as the runtime does here, with the libraries extracted once
 * from the natives jar.
 * <p>
 * The jars go into a temporary local repository, laid out as {@code mvn install} would; every other artifact (plugins,
 * Jackson) comes from the user's local repository as a file:// mirror. So nothing is downloaded and ~/.m2 is not
 * written to.
 */
class ConsumerProjectTest {
    private static final String VERSION = System.getProperty("jseek.test.version");
    private static final Path ROOT = Path.of(System.getProperty("jseek.test.root", ".."));
    private static final String PLATFORM = System.getProperty("jseek.test.platform");

    @Test
    void aPlainMavenProjectAnswersWithTheLibrariesFromTheNativesJar(@TempDir Path dir) throws Exception {
        Path repo = dir.resolve("repo");
        install(repo, "jseek-parent", ROOT.resolve("pom.xml"), null, null);
        install(repo, "jseek-natives", ROOT.resolve("native/pom.xml"), jar("natives"), PLATFORM);
        install(repo, "jseek-bindings", ROOT.resolve("bindings/pom.xml"), jar("bindings"), null);
        install(repo, "jseek-models", ROOT.resolve("models/pom.xml"), jar("models"), null);
        install(repo, "jseek-runtime", ROOT.resolve("src/pom.xml"), jar("runtime"), null);
        Path settings = Files.writeString(dir.resolve("settings.xml"), """
                <settings>
                  <localRepository>%s</localRepository>
                  <mirrors><mirror><id>user-repository</id><mirrorOf>*</mirrorOf><url>%s</url></mirror></mirrors>
                </settings>
                """.formatted(repo, Path.of(System.getProperty("jseek.test.maven.repository")).toUri()));
        Path project = dir.resolve("consumer");
        copyTree(ROOT.resolve("cli/test/consumer"), project);

        Path mvn = Path.of(System.getProperty("jseek.test.maven.home"), "bin", "mvn");
        run(dir.resolve("maven.log"), List.of(), mvn.toString(), "-B", "-q", "-s", settings.toString(), "-f",
                project.resolve("pom.xml").toString(), "-Djseek.version=" + VERSION, "-Djseek.natives=" + PLATFORM, "package");

        Path model = TestModels.tiny();
        // the native build in this cache too: the natives jar comes first
        Path cache = dir.resolve("cache");
        Path build = Backend.get().libraryDir();
        Files.createSymbolicLink(Files.createDirectories(cache.resolve("native")).resolve(build.getFileName()), build);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String consumerJar = project.resolve("target/jseek-consumer-1.jar").toString();
        String expected = answerHere(model);
        // first on the module path (jseek's pre-flight child must start there too), then on the class path
        String first = run(dir.resolve("first.log"), List.of("JSEEK_CACHE=" + cache), java, "--module-path",
                project.resolve("target/lib").toString(), "--add-modules", "dev.jseek,dev.jseek.natives",
                "--enable-native-access=dev.jseek,dev.jseek.bindings", "-cp", consumerJar, "example.Main", model.toString());
        String second = run(dir.resolve("second.log"), List.of("JSEEK_CACHE=" + cache), java, "--enable-native-access=ALL-UNNAMED",
                "-cp", project.resolve("target/lib") + "/*" + File.pathSeparator + consumerJar, "example.Main", model.toString());

        for (String out : List.of(first, second)) {
            List<String> lines = out.lines().toList();
            assertTrue(lines.getFirst().matches("libraries: " + Pattern.quote(cache.resolve("natives").toString())
                    + "/[0-9a-f]{16}"), "the libraries must come from the extracted natives jar:\n" + out);
            String answer = out.substring(out.indexOf("answer:\n") + "answer:\n".length());
            assertEquals(expected + "\n", answer, out);
        }
        assertEquals(first.lines().findFirst(), second.lines().findFirst(), "the second run must use the first run's copy");
        try (Stream<Path> extracted = Files.list(cache.resolve("natives"))) {
            // beside it, the lock file that its users hold while they run (NativesInUse)
            List<String> names = extracted.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(2, names.size(), "one extracted copy and the lock file: " + names);
            assertTrue(names.get(0).matches("[0-9a-f]{16}") && names.get(1).equals("in-use.lock"), names.toString());
        }
    }

    /** The same turn in this JVM (libraries from the native build, as every other test here). */
    private static String answerHere(Path modelFile) {
        ChatOptions options = ChatOptions.defaults().withSampling(SamplingPreset.GREEDY.params()).withMaxTokens(32).withReasoningBudget(8);
        try (Model model = Model.load(modelFile, ModelParams.defaults()); ChatSession chat = new ChatSession(model, options)) {
            return chat.send("Why is the sea salty?", ChatListener.silent()).answer();
        }
    }

    private static Path jar(String name) {
        String property = "jseek.test.jar." + name;
        Path jar = Path.of(System.getProperty(property, ""));
        if (!jar.getFileName().toString().endsWith(".jar") || !Files.isRegularFile(jar)) {
            fail(property + " is " + jar + ", not a jar: run this test through ./mvnw verify (or package), which makes the jars.");
        }
        return jar;
    }

    /** What {@code mvn install} leaves in a local repository for a jseek artifact. */
    private static void install(Path repo, String artifact, Path pom, Path jar, String classifier) throws IOException {
        Path dir = Files.createDirectories(repo.resolve("dev/jseek").resolve(artifact).resolve(VERSION));
        Files.copy(pom, dir.resolve(artifact + "-" + VERSION + ".pom"));
        if (jar != null) {
            Files.copy(jar, dir.resolve(artifact + "-" + VERSION + (classifier == null ? "" : "-" + classifier) + ".jar"));
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : files.toList()) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    /** Runs a command with JSEEK_NATIVE_DIR unset and the given extra environment; returns its standard output. */
    private static String run(Path log, List<String> env, String... command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectError(log.toFile());
        pb.environment().remove("JSEEK_NATIVE_DIR");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        for (String e : env) {
            pb.environment().put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        if (p.exitValue() != 0) {
            fail(String.join(" ", new ArrayList<>(List.of(command))) + " failed (" + p.exitValue() + "):\n" + out + Files.readString(log));
        }
        return out;
    }
}
