package dev.jseek.cli;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * cli/jseek's choice of native libraries, run for real on a copy of the launcher scripts whose "JDK 25" is a script
 * that prints the command line it was given, and whose native/build.sh only records that it ran: nothing is built.
 */
class LauncherTest {
    @TempDir
    Path dir;
    private Path checkout;
    private Path buildRan;

    @BeforeEach
    void fakeCheckout() throws Exception {
        Path repo = Path.of(System.getProperty("jseek.test.root", "..")).toAbsolutePath().normalize();
        checkout = dir.resolve("checkout");
        Files.createDirectories(checkout.resolve("cli/target"));
        Files.createDirectories(checkout.resolve("native"));
        for (String script : List.of("cli/jseek", "cli/launcher.sh", "cli/java25.sh")) {
            Files.copy(repo.resolve(script), checkout.resolve(script), StandardCopyOption.COPY_ATTRIBUTES);
        }
        buildRan = dir.resolve("build-ran");
        executable(checkout.resolve("native/build.sh"), "touch '" + buildRan + "'; echo /the/built/libraries");
        Files.writeString(checkout.resolve("cli/target/jseek.jar"), "an up-to-date jar: no source is newer");
        Path jdk = dir.resolve("jdk25");
        Files.createDirectories(jdk.resolve("bin"));
        Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"25.0.1\"\n");
        executable(jdk.resolve("bin/java"), "printf '%s\\n' \"$@\"");
    }

    private static void executable(Path file, String body) throws Exception {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    record Run(int code, List<String> javaArgs, String err) {
    }

    private Run jseek(String nativeDir) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(checkout.resolve("cli/jseek").toString(), "devices");
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/bin:/bin");
        env.put("HOME", dir.toString());
        env.put("JAVA_HOME", dir.resolve("jdk25").toString());
        if (nativeDir != null) {
            env.put("JSEEK_NATIVE_DIR", nativeDir);
        }
        Process p = pb.redirectError(dir.resolve("err").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out.lines().toList(), Files.readString(dir.resolve("err")));
    }

    @Test
    void jseekNativeDirIsWhatTheJvmGetsAndNothingIsBuilt() throws Exception {
        Path libs = Files.createDirectories(dir.resolve("my libs"));
        Files.writeString(libs.resolve("libllama.so"), "");
        Run r = jseek(libs.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.javaArgs().contains("-Djseek.native.dir=" + libs), r.javaArgs().toString());
        assertEquals("devices", r.javaArgs().getLast());
        assertFalse(Files.exists(buildRan), "native/build.sh is not run when JSEEK_NATIVE_DIR names the libraries");
    }

    @Test
    void withoutItTheNativeBuildsDirectoryIsUsed() throws Exception {
        Run r = jseek(null);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.javaArgs().contains("-Djseek.native.dir=/the/built/libraries"), r.javaArgs().toString());
        assertTrue(Files.exists(buildRan));
    }

    @Test
    void aDirectoryWithoutLibllamaIsOneLine() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Run r = jseek(empty.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains("JSEEK_NATIVE_DIR=" + empty) && r.err().contains("holds no libllama"), r.err());
        assertTrue(r.javaArgs().isEmpty(), "no JVM started: " + r.javaArgs());
    }
}
