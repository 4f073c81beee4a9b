package dev.jseek.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Backend;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.jseek.cli.Outcome.jseek;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `jseek --version` and `jseek devices` report what this build and machine have. */
class DevicesCommandTest {

    @Test
    void versionNamesJseekLlamaCppTheBackendsAndTheDevices() {
        Outcome r = jseek("--version");
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals("jseek " + System.getProperty("jseek.test.version"), lines.get(0), r.out());
        assertEquals("llama.cpp " + Backend.get().llamaVersion() + " (pinned)", lines.get(1));
        assertTrue(lines.get(2).startsWith("backends: ") && lines.get(2).contains("CPU"), lines.get(2));
        for (Backend.Device d : Backend.get().devices()) {
            assertTrue(lines.get(3).contains(d.name() + " (" + d.description()), lines.get(3));
        }
        assertEquals(r.out(), jseek("run", "--version").out(), "every command answers --version the same");
    }

    @Test
    void devicesListsEveryBackendAndDeviceWithItsMemory() throws Exception {
        Outcome r = jseek("devices");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("backends: " + String.join(", ", Backend.get().backendNames())), r.out());
        for (Backend.Device d : Backend.get().devices()) {
            String row = r.out().lines().filter(l -> l.startsWith(d.name() + " ")).findFirst().orElseThrow(() -> new AssertionError(r.out()));
            // a worker another test added and stopped is still listed, its memory unknown
            assertTrue(row.contains(d.description()) && row.contains(d.totalBytes() < 0 ? "unknown (not answering)" : " / "), row);
        }
        assertTrue(r.out().contains("CPU (system RAM)"), r.out());

        JsonNode json = new ObjectMapper().readTree(jseek("devices", "--json").out());
        assertEquals(Backend.get().devices().size(), json.get("devices").size());
        for (JsonNode d : json.get("devices")) {
            if (d.get("name").asText().equals("CPU")) {
                assertTrue(d.get("total_bytes").asLong() > 0 && d.get("kind").asText().equals("CPU (system RAM)"), d.toString());
            }
        }

        Outcome bad = jseek("devices", "--rpc", "nonsense");
        assertEquals(ExitCodes.USAGE, bad.code(), bad.err());
    }

    /** A worker's device, asked in a JVM of its own (RPC registrations are process-wide and would outlive the test). */
    @Test
    void devicesWithRpcListsTheWorkersDevice(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        WorkerCommandTest.withWorker(dir.resolve("worker.log"), worker -> {
            Outcome r = Subprocess.run(null, Duration.ofSeconds(60), "devices", "--rpc", worker);
            assertEquals(0, r.code(), r.err());
            List<String> rpc = new ArrayList<>(r.out().lines().filter(l -> l.startsWith("RPC")).toList());
            assertEquals(1, rpc.size(), r.out());
            assertTrue(rpc.getFirst().contains("RPC worker at " + worker), rpc.getFirst());
        });
    }
}
