package dev.jseek.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Backend;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `jseek --version` and `jseek devices` report what this build and machine have. */
class DevicesCommandTest {
    private static String[] jseek(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new String[] {String.valueOf(code), out.toString(), err.toString()};
    }

    @Test
    void versionNamesJseekLlamaCppTheBackendsAndTheDevices() {
        String[] r = jseek("--version");
        assertEquals("0", r[0], r[2]);
        List<String> lines = r[1].lines().toList();
        assertEquals("jseek " + System.getProperty("jseek.test.version"), lines.get(0), r[1]);
        assertEquals("llama.cpp " + Backend.get().llamaVersion() + " (pinned)", lines.get(1));
        assertTrue(lines.get(2).startsWith("backends: ") && lines.get(2).contains("CPU"), lines.get(2));
        for (Backend.Device d : Backend.get().devices()) {
            assertTrue(lines.get(3).contains(d.name() + " (" + d.description()), lines.get(3));
        }
        assertEquals(r[1], jseek("run", "--version")[1], "every command answers --version the same");
    }

    @Test
    void devicesListsEveryBackendAndDeviceWithItsMemory() throws Exception {
        String[] r = jseek("devices");
        assertEquals("0", r[0], r[2]);
        assertTrue(r[1].contains("backends: " + String.join(", ", Backend.get().backendNames())), r[1]);
        for (Backend.Device d : Backend.get().devices()) {
            String row = r[1].lines().filter(l -> l.startsWith(d.name() + " ")).findFirst().orElseThrow(() -> new AssertionError(r[1]));
            // a worker another test added and stopped is still listed, its memory unknown
            assertTrue(row.contains(d.description()) && row.contains(d.totalBytes() < 0 ? "unknown (not answering)" : " / "), row);
        }
        assertTrue(r[1].contains("CPU (system RAM)"), r[1]);

        JsonNode json = new ObjectMapper().readTree(jseek("devices", "--json")[1]);
        assertEquals(Backend.get().devices().size(), json.get("devices").size());
        for (JsonNode d : json.get("devices")) {
            if (d.get("name").asText().equals("CPU")) {
                assertTrue(d.get("total_bytes").asLong() > 0 && d.get("kind").asText().equals("CPU (system RAM)"), d.toString());
            }
        }

        String[] bad = jseek("devices", "--rpc", "nonsense");
        assertEquals(String.valueOf(ExitCodes.USAGE), bad[0], bad[2]);
    }

    /** A worker's device, asked in a JVM of its own (RPC registrations are process-wide and would outlive the test). */
    @Test
    void devicesWithRpcListsTheWorkersDevice(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        int port = WorkerCommandTest.freePort();
        Process worker = WorkerCommandTest.worker(port, dir.resolve("worker.log"));
        try {
            WorkerCommandTest.waitForPort(port);
            Subprocess.Result r = Subprocess.run(null, Duration.ofSeconds(60), "devices", "--rpc", "127.0.0.1:" + port);
            assertEquals(0, r.code(), r.err());
            List<String> rpc = new ArrayList<>(r.out().lines().filter(l -> l.startsWith("RPC")).toList());
            assertEquals(1, rpc.size(), r.out());
            assertTrue(rpc.getFirst().contains("RPC worker at 127.0.0.1:" + port), rpc.getFirst());
        } finally {
            worker.destroyForcibly();
            worker.waitFor();
        }
    }
}
