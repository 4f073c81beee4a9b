package dev.jseek.cli;

import dev.jseek.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.LlamaTools;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile prompts, as users paste them and attackers send them, through {@code jseek batch} in this JVM: runs
 * llama.cpp's pre-tokenizer cannot split (which recursed the JVM to death), scripts, markers, control characters,
 * lengths up to 200 KB, and lines of invalid UTF-8. Every line must get exactly one record, an answer or an
 * error, and the JVM must live; prompts llama-tokenize survives must tokenize to its tokens.
 *
 * <p>The default run does {@value #DEFAULT_COUNT}; the long run is {@code bench/fuzz-prompts} (1,000, recorded in
 * bench/FUZZ.md): {@code -Djseek.promptfuzz.count=N}, {@code -Djseek.promptfuzz.seed=S}, {@code -Djseek.promptfuzz.report=FILE}.
 */
class PromptFuzzTest {
    private static final int DEFAULT_COUNT = 40;
    /** llama-tokenize's 8 MiB stack holds about 25,000 ASCII characters of one run: compare below that. */
    private static final int ORACLE_LIMIT_BYTES = 20_000;
    private static final List<String> RUN_UNITS = List.of(" ", "x", "=", "ab", "\n", "\t", "中", "😀", "\u0301", "0",
            ".", "<｜User｜>", "</think>", "\u200b", "ﷺ", "\u0000", "\r\n", "Ω", "ab ", "!?");
    private static final int[][] SCRIPTS = {{0x20, 0x7e}, {0x400, 0x4ff}, {0x4e00, 0x9fff}, {0x600, 0x6ff},
            {0x900, 0x97f}, {0x1f300, 0x1f6ff}, {0x3040, 0x30ff}, {0xac00, 0xd7a3}, {0x0, 0x1f}};
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path MODEL = TestModels.tiny();

    @TempDir
    Path dir;

    private record Case(String id, byte[] utf8, boolean valid, String kind) {
    }

    @Test
    void everyPromptGetsOneRecordAndTheJvmLives() throws Exception {
        int count = Integer.getInteger("jseek.promptfuzz.count", DEFAULT_COUNT);
        long seed = Long.getLong("jseek.promptfuzz.seed", 1);
        Random random = new Random(seed);
        Instant start = Instant.now();
        Case[] cases = new Case[count];
        ByteArrayOutputStream jsonl = new ByteArrayOutputStream();
        for (int i = 0; i < count; i++) {
            cases[i] = hostile("p" + i, random);
            jsonl.writeBytes(line(cases[i]));
        }
        Path input = Files.write(dir.resolve("prompts.jsonl"), jsonl.toByteArray());
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(new PrintWriter(out), new PrintWriter(err), "batch", "-m", MODEL.toString(), "-c", "2048",
                "--parallel", "2", "-n", "2", input.toString());

        Map<String, JsonNode> records = new TreeMap<>();
        for (String l : out.toString().split("\n")) {
            if (!l.isBlank()) {
                JsonNode r = JSON.readTree(l);
                assertTrue(records.put(r.get("id").asText(), r) == null, "two records for " + r.get("id"));
            }
        }
        Map<String, Integer> outcomes = new TreeMap<>();
        int errors = 0;
        for (int i = 0; i < count; i++) {
            Case c = cases[i];
            JsonNode r = c.valid ? records.get(c.id) : records.get("line " + (i + 1));
            assertTrue(r != null, "no record for " + c.id + " (" + c.kind + ", " + c.utf8.length + " bytes): " + err);
            boolean failed = r.hasNonNull("error");
            errors += failed ? 1 : 0;
            if (!c.valid) {
                assertTrue(failed && r.get("error").asText().contains("UTF-8"), r.toString());
            }
            outcomes.merge((c.valid ? "valid" : "invalid UTF-8") + ", " + (failed ? "error record: " + reason(r.get("error").asText())
                    : "answered"), 1, Integer::sum);
        }
        assertEquals(count, records.size(), "one record per line");
        assertEquals(errors > 0 ? ExitCodes.FAILURE : ExitCodes.OK, code, err.toString());

        int compared = compareWithLlamaTokenize(cases);
        report(count, seed, outcomes, compared, Duration.between(start, Instant.now()));
    }

    /** The gist of an error record, for the tally (numbers dropped). */
    private static String reason(String error) {
        return error.replaceAll("[0-9]+", "N").replaceAll("\"[^\"]*\"", "…");
    }

    private static Case hostile(String id, Random r) {
        int kind = r.nextInt(10);
        int length = (int) Math.exp(r.nextDouble() * Math.log(kind == 0 ? 200_000 : 30_000));
        return switch (kind) {
            case 0, 1, 2 -> {
                String unit = RUN_UNITS.get(r.nextInt(RUN_UNITS.size()));
                yield valid(id, unit.repeat(Math.max(1, length / unit.length())), "run of " + JSON.valueToTree(unit));
            }
            case 3, 4 -> {
                int[] script = SCRIPTS[r.nextInt(SCRIPTS.length)];
                StringBuilder b = new StringBuilder();
                while (b.length() < length) {
                    b.appendCodePoint(script[0] + r.nextInt(script[1] - script[0] + 1));
                }
                yield valid(id, b.toString(), "script " + Integer.toHexString(script[0]));
            }
            case 5, 6 -> {
                StringBuilder b = new StringBuilder();
                while (b.length() < length) {
                    String unit = RUN_UNITS.get(r.nextInt(RUN_UNITS.size()));
                    b.append(unit.repeat(1 + r.nextInt(Math.max(1, length / 4))));
                }
                yield valid(id, b.toString(), "mixed runs");
            }
            case 7 -> {
                StringBuilder b = new StringBuilder();
                while (b.length() < length) {
                    int cp = r.nextInt(0x110000);
                    if (Character.isDefined(cp) && (cp < 0xd800 || cp > 0xdfff)) {
                        b.appendCodePoint(cp);
                    }
                }
                yield valid(id, b.toString(), "any code points");
            }
            default -> {
                byte[] bytes = new byte[Math.max(1, Math.min(length, 5000))];
                r.nextBytes(bytes);
                bytes[r.nextInt(bytes.length)] = (byte) 0xC3; // at least one lead byte followed by a non-continuation
                for (int i = 0; i < bytes.length; i++) {
                    if (bytes[i] == '\n' || bytes[i] == '\r') {
                        bytes[i] = (byte) 0xFF;
                    }
                }
                if (bytes.length > 1) {
                    bytes[bytes.length - 1] = (byte) 0xFF;
                }
                yield new Case(id, bytes, false, "invalid UTF-8");
            }
        };
    }

    private static Case valid(String id, String text, String kind) {
        return new Case(id, text.getBytes(StandardCharsets.UTF_8), true, kind);
    }

    private static byte[] line(Case c) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        if (c.valid) {
            b.writeBytes(JSON.writeValueAsBytes(Map.of("id", c.id, "prompt", new String(c.utf8, StandardCharsets.UTF_8))));
        } else {
            b.writeBytes(("{\"id\": \"" + c.id + "\", \"prompt\": \"").getBytes(StandardCharsets.UTF_8));
            b.writeBytes(c.utf8);
            b.writeBytes("\"}".getBytes(StandardCharsets.UTF_8));
        }
        b.write('\n');
        return b.toByteArray();
    }

    /** jseek's tokens against llama-tokenize's for every valid prompt the tool itself survives. */
    private int compareWithLlamaTokenize(Case[] cases) throws Exception {
        int compared = 0;
        try (Model model = Model.load(MODEL, ModelParams.defaults())) {
            for (Case c : cases) {
                if (!c.valid || c.utf8.length > ORACLE_LIMIT_BYTES || contains(c.utf8, (byte) 0)) {
                    continue; // the tool reads a C string: it stops at a NUL
                }
                Path file = Files.write(dir.resolve(c.id + ".txt"), c.utf8);
                int[] expected = LlamaTools.tokenize(MODEL, file);
                int[] actual = model.vocab().tokenize(new String(c.utf8, StandardCharsets.UTF_8), true, false);
                if (!Arrays.equals(expected, actual)) {
                    Path kept = Files.write(Path.of(System.getProperty("jseek.test.work", "target/test-work")).resolve("prompt-fuzz-mismatch-" + c.id + ".txt"), c.utf8);
                    assertArrayEquals(expected, actual, c.kind + ", " + c.utf8.length + " bytes; the prompt is in " + kept);
                }
                compared++;
                Files.delete(file);
            }
        }
        return compared;
    }

    private static boolean contains(byte[] bytes, byte b) {
        for (byte x : bytes) {
            if (x == b) {
                return true;
            }
        }
        return false;
    }

    private static void report(int count, long seed, Map<String, Integer> outcomes, int compared, Duration took) throws IOException {
        String target = System.getProperty("jseek.promptfuzz.report");
        StringBuilder b = new StringBuilder();
        b.append("`bench/fuzz-prompts` on ").append(Instant.now()).append(": ").append(count).append(" hostile prompts, seed ")
                .append(seed).append(", as one `jseek batch` input (`-c 2048 --parallel 2 -n 2`) in one JVM, in ")
                .append(took.toMinutes()).append(" min.\n\n");
        b.append("- process deaths: none (the run finished; every line got exactly one record)\n");
        b.append("- prompts whose tokens equal llama-tokenize's (every valid one under ").append(ORACLE_LIMIT_BYTES)
                .append(" bytes without a NUL): ").append(compared).append('\n');
        b.append("\n| prompt, outcome | lines |\n|---|---|\n");
        outcomes.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        System.err.println(b);
        if (target != null) {
            FuzzReport.writeSection(Path.of(target), "Prompts", b.toString());
        }
    }
}
