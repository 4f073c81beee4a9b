package dev.jseek.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jseek.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench/BenchSuite.java --quick: the benchmark suite runs end to end and its report has every section, with numbers. */
class BenchSuiteSmokeTest {
    @Test
    void theQuickSuiteWritesEveryRow(@TempDir Path dir) throws Exception {
        Path report = dir.resolve("RESULTS.md");
        Path suite = Path.of("..", "bench", "BenchSuite.java").toAbsolutePath().normalize();
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Djseek.native.dir=" + Backend.get().libraryDir(),
                "-cp", System.getProperty("java.class.path"), suite.toString(),
                "--quick", "--out", report.toString(), "--work", dir.toString(), "--threads", "2");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        int code = p.waitFor();
        String log = Files.readString(dir.resolve("log"));
        assertEquals(0, code, log);
        String md = Files.readString(report);
        for (String heading : List.of("jseek bench vs llama-bench", "Same process", "The JVM around it", "Many prompts", "time to first token", "Peak memory", "Start-up", "Pre-flight")) {
            assertTrue(md.contains(heading), heading + " missing:\n" + md);
        }
        // both sides measured: the ratio column holds a positive number for pp and tg, across processes and in one
        Matcher ratio = Pattern.compile("\\| (pp|tg)\\d+ \\|.*\\| (\\d+\\.\\d{3}) \\|").matcher(md);
        int rows = 0;
        while (ratio.find()) {
            assertTrue(Double.parseDouble(ratio.group(2)) > 0, md);
            rows++;
        }
        assertEquals(4, rows, md);
    }
}
