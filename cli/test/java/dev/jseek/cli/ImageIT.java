package dev.jseek.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The self-contained image (cli/image/build.sh; {@code ./mvnw verify} builds it on Linux, then runs this): unpacked
 * into an empty directory and started through a symbolic link from another directory with {@code env -i}, a PATH
 * that holds only {@code readlink} and {@code stty} (no java, no cmake, no compiler), and empty HOME and cache.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImageIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    static Path root;
    private static Path image;
    private static Path jseek;
    private static Path elsewhere;

    @BeforeAll
    static void unpack() throws Exception {
        Path tarball = tarball();
        Path unpacked = Files.createDirectories(root.resolve("unpacked"));
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", unpacked.toString()).inheritIO().start();
        assertEquals(0, tar.waitFor(), "tar -xzf " + tarball);
        try (Stream<Path> top = Files.list(unpacked)) {
            image = top.reduce((a, b) -> {
                throw new AssertionError("the tarball has more than one top directory: " + a + ", " + b);
            }).orElseThrow();
        }
        assertEquals(tarball.getFileName().toString(), image.getFileName() + ".tar.gz", "the tarball unpacks into a directory of its name");
        jseek = Files.createSymbolicLink(Files.createDirectories(root.resolve("links")).resolve("jseek"), image.resolve("bin/jseek"));
        Path path = Files.createDirectories(root.resolve("path"));
        for (String tool : List.of("readlink", "stty")) {
            Files.createSymbolicLink(path.resolve(tool), Path.of(PseudoTerminal.onPath(tool)));
        }
        Files.createDirectories(root.resolve("home"));
        elsewhere = Files.createDirectories(root.resolve("elsewhere"));
    }

    private static Path tarball() throws IOException {
        Path dir = Path.of(System.getProperty("jseek.image.dir", "target"));
        String prefix = "jseek-" + System.getProperty("jseek.test.version") + "-";
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> found = files.filter(f -> f.getFileName().toString().startsWith(prefix) && f.toString().endsWith(".tar.gz")).toList();
            assertEquals(1, found.size(), "one " + prefix + "*.tar.gz in " + dir + " (./mvnw -DskipTests verify builds it): " + found);
            return found.getFirst();
        }
    }

    /** The environment, and nothing else: no JAVA_HOME, no JDK or toolchain on the PATH, nothing cached. */
    private static Map<String, String> environment(String javaOptions) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", root.resolve("path").toString());
        env.put("HOME", root.resolve("home").toString());
        env.put("JSEEK_CACHE", root.resolve("cache").toString());
        env.put("TERM", "xterm-256color");
        if (javaOptions != null) {
            env.put("JSEEK_JAVA_OPTS", javaOptions);
        }
        return env;
    }

    record Result(int code, String out, String err) {
    }

    /** `env -i ENV links/jseek ARGS` in another directory, stdin empty. */
    private static Result jseek(String javaOptions, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("env", "-i"));
        environment(javaOptions).forEach((name, value) -> argv.add(name + "=" + value));
        argv.add(jseek.toString());
        argv.addAll(List.of(args));
        Path out = root.resolve("stdout");
        Path err = root.resolve("stderr");
        Process p = new ProcessBuilder(argv).directory(elsewhere.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("jseek " + String.join(" ", args) + " did not end within " + WAIT + "; stderr:\n" + Files.readString(err));
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static Path demoModel() throws IOException {
        try (Stream<Path> models = Files.list(root.resolve("cache/models"))) {
            return models.filter(m -> m.toString().endsWith(".gguf")).findFirst().orElseThrow();
        }
    }

    @Test
    @Order(1)
    void runAnswersWithTheDemoModelFromTheImagesOwnRuntimeAndLibraries() throws Exception {
        Result r = jseek(null, "run", "-n", "32", "Why is the sea salty?"); // the demo model thinks 24 tokens, then answers
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().isBlank(), "an answer on stdout; stderr:\n" + r.err());
        assertTrue(r.err().contains("demo model") && r.err().contains("tokens"), r.err());
        try (Stream<Path> cached = Files.walk(root.resolve("cache"))) {
            List<Path> natives = cached.filter(f -> f.toString().endsWith(".so")).toList();
            assertEquals(List.of(), natives, "the libraries come from the image, never from a cache");
        }
    }

    @Test
    @Order(2)
    void infoLoadsItsClassesFromTheAotCacheMadeWhereTheImageWasBuilt() throws Exception {
        Path classLog = root.resolve("class-load.log");
        Result r = jseek("-Xlog:class+load=info:file=" + classLog, "info", demoModel().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("deepseek2"), r.out());
        String log = Files.readString(classLog);
        assertTrue(log.contains("dev.jseek.cli.ModelInfoCommand source: shared objects file"),
                "the AOT cache is used in the unpacked image:\n" + log.lines().filter(l -> l.contains("dev.jseek")).limit(20).toList());
    }

    @Test
    @Order(3)
    void aCacheTheJvmCannotUseCostsAWarningNotTheRun() throws Exception {
        Result r = jseek("-XX:+UseCompactObjectHeaders", "info", demoModel().toString());
        assertEquals(0, r.code(), r.err());
        assertTrue((r.out() + r.err()).contains("Unable to use AOT cache"), "the JVM says so:\n" + r.out() + r.err());
        assertTrue(r.out().contains("deepseek2"), r.out());
    }

    @Test
    @Order(4)
    void chatAnswersInAPseudoTerminal() throws Exception {
        try (PseudoTerminal t = PseudoTerminal.startIsolated(List.of("/bin/sh", "-c", "cd \"$1\" && exec \"$2\" chat -n 12", "sh",
                elsewhere.toString(), jseek.toString()), environment(null))) {
            int at = t.await(">>> ", 0, WAIT);
            t.type("What is the sea?\r");
            at = t.await("tok/s", at, WAIT);
            t.type("/exit\r");
            assertEquals(0, t.exitCode(WAIT), t.screen());
        }
    }

    /**
     * Ctrl-C mid-answer stops the answer and the conversation goes on. JLine catches SIGINT through sun.misc.Signal
     * (module jdk.unsupported), which jdeps does not see: without it the image's chat ended with exit code 130.
     */
    @Test
    @Order(5)
    void ctrlCMidAnswerStopsTheAnswerAndTheNextMessageIsAnswered() throws Exception {
        try (PseudoTerminal t = PseudoTerminal.startIsolated(List.of("/bin/sh", "-c",
                "cd \"$1\" && exec \"$2\" chat -n 100000 --reasoning collapse", "sh", elsewhere.toString(), jseek.toString()),
                environment(null))) {
            int at = t.await(">>> ", 0, WAIT);
            t.type("Talk for a long time\r");
            at = t.await("Thinking… [0-9]+ tokens", at, WAIT);
            t.type("\u0003");
            at = t.await("\\[stopped]", at, WAIT);
            at = t.await(">>> ", at, WAIT);
            t.type("/set max-tokens 12\r");
            at = t.await(">>> ", at, WAIT);
            t.type("What is the sea?\r");
            at = t.await("tok/s", at, WAIT);
            t.type("/exit\r");
            assertEquals(0, t.exitCode(WAIT), t.screen());
        }
    }

    /**
     * `pull` over https with the image's runtime: a TLS 1.3 handshake with an EC certificate (SunJSSE, SunEC and
     * SunJCE, all in java.base), against a server of this JVM trusted through a trust store of its own.
     */
    @Test
    @Order(6)
    void pullDownloadsOverHttpsWithTheImagesRuntime() throws Exception {
        Path keys = root.resolve("tls.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-keystore", keys.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-alias", "server",
                "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1",
                "-validity", "2").redirectErrorStream(true).start();
        String keytoolOut = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, keytool.waitFor(), keytoolOut);
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keys)) {
            store.load(in, "changeit".toCharArray());
        }
        var keyManagers = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
        keyManagers.init(store, "changeit".toCharArray());
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
        tls.init(keyManagers.getKeyManagers(), null, null);
        byte[] model = Files.readAllBytes(demoModel());
        var server = com.sun.net.httpserver.HttpsServer.create(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new com.sun.net.httpserver.HttpsConfigurator(tls));
        server.createContext("/demo.gguf", ex -> {
            ex.sendResponseHeaders(200, model.length);
            try (var body = ex.getResponseBody()) {
                body.write(model);
            }
        });
        server.start();
        try {
            Path dir = root.resolve("pulled");
            Result r = jseek("-Djavax.net.ssl.trustStore=" + keys + " -Djavax.net.ssl.trustStorePassword=changeit", "pull",
                    "https://127.0.0.1:" + server.getAddress().getPort() + "/demo.gguf", "--dir", dir.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(dir.resolve("demo.gguf").toString(), r.out().strip());
            assertTrue(java.util.Arrays.equals(model, Files.readAllBytes(dir.resolve("demo.gguf"))), "the file arrived whole");
        } finally {
            server.stop(0);
        }
    }

    @Test
    @Order(7)
    void bashCompletesTheCommandsAndTheManPagesHoldTheirHelp() throws Exception {
        Path completion = image.resolve("share/bash-completion/completions/jseek");
        Process bash = new ProcessBuilder("env", "-i", "/bin/bash", "-c",
                "source \"$1\"; COMP_WORDS=(jseek ch); COMP_CWORD=1; _complete_jseek; echo \"${COMPREPLY[*]}\"", "bash", completion.toString())
                .redirectErrorStream(true).start();
        String words = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, bash.waitFor());
        assertEquals("chat", words);
        String run = Files.readString(image.resolve("share/man/man1/jseek-run.1"));
        assertTrue(run.startsWith(".TH JSEEK-RUN 1 ") && run.contains("Usage: jseek run"), run);
    }
}
