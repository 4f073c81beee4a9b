package dev.jseek.cli;

import dev.jseek.TestModels;
import dev.jseek.JseekException;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damaged, random and crafted session files through {@link ChatSession#load} in this JVM, and one reply from each
 * that loads: none may end the process, leave an hs_err file, throw anything but a one-line JseekException, or,
 * when damaged (its checksum no longer matches), load. Crafted files have their checksum made right again, as a
 * buggy or hostile writer would; they reach the bounded parser and llama.cpp's KV-state reader, and may load.
 *
 * <p>The default run does {@value #DEFAULT_COUNT}; the long run is {@code bench/fuzz-sessions} (1,000, its result
 * recorded in bench/FUZZ.md): {@code -Djseek.fuzz.count=N}, {@code -Djseek.fuzz.seed=S}, {@code -Djseek.fuzz.report=FILE}.
 */
class SessionFuzzTest {
    private static final int DEFAULT_COUNT = 40;
    private static final Path MODEL = TestModels.tiny();
    private static final ChatOptions OPTIONS = ChatOptions.defaults().withSampling(SamplerParams.greedy())
            .withMaxTokens(12).withReasoningBudget(4);
    private static final String[] MUTATIONS = {"1-8 flipped bits", "truncated", "1-64 bytes overwritten", "random bytes",
            "random content after a valid header", "1-64 bytes appended", "crafted: 1-8 flipped bits, checksum fixed",
            "crafted: a count, token or role set to an odd value, checksum fixed"};
    private static final int FIRST_CRAFTED = 6;
    private static final int HEADER_BYTES = 8 + 4 + 8;
    private static final int[] ODD_VALUES = {0, 1, 2, 7, 255, 256, 65_535, 1 << 20, 1 << 30, Integer.MAX_VALUE, -1, Integer.MIN_VALUE};

    @TempDir
    Path dir;

    @Test
    void damagedSessionFilesAreRefusedAndNoneEndsTheProcess() throws Exception {
        int count = Integer.getInteger("jseek.fuzz.count", DEFAULT_COUNT);
        long seed = Long.getLong("jseek.fuzz.seed", 1);
        Path cwd = Path.of("").toAbsolutePath();
        List<Path> hsErrBefore = hsErrFiles(cwd);
        Map<String, Integer> outcomes = new TreeMap<>();
        int[][] refusedLoaded = new int[MUTATIONS.length][2];
        List<String> failures = new ArrayList<>();
        int unnamed = 0;
        Instant start = Instant.now();
        try (Model model = Model.load(MODEL, ModelParams.defaults())) {
            byte[] base = baseSession(model);
            ChatSession chat = new ChatSession(model, OPTIONS);
            try {
                for (int i = 0; i < count; i++) {
                    Random random = new Random(seed * 1_000_003 + i);
                    int kind = i % MUTATIONS.length;
                    Path file = Files.write(dir.resolve("session-" + i + ".jseek"), mutate(kind, random, base));
                    String outcome;
                    try {
                        chat.load(file);
                        refusedLoaded[kind][1]++;
                        outcome = reply(chat);
                        if (kind < FIRST_CRAFTED) {
                            failures.add("#" + i + " (" + MUTATIONS[kind] + ") loaded although damaged");
                        }
                        chat.close();
                        chat = new ChatSession(model, OPTIONS);
                    } catch (JseekException e) {
                        refusedLoaded[kind][0]++;
                        outcome = refusal(e.getMessage());
                        if (e.getMessage().lines().count() != 1) {
                            failures.add("#" + i + " (" + MUTATIONS[kind] + ") refused in more than one line: " + e.getMessage());
                        }
                        if (!e.getMessage().contains(file.toString())) {
                            unnamed++;
                        }
                        if (!chat.history().isEmpty()) {
                            failures.add("#" + i + " (" + MUTATIONS[kind] + ") refused but changed the conversation");
                        }
                    } catch (RuntimeException e) {
                        outcome = "failed with " + e.getClass().getSimpleName();
                        failures.add("#" + i + " (" + MUTATIONS[kind] + "): " + e);
                        chat.close();
                        chat = new ChatSession(model, OPTIONS);
                    }
                    outcomes.merge(outcome, 1, Integer::sum);
                    Files.delete(file);
                }
            } finally {
                chat.close();
            }
        }
        assertEquals(hsErrBefore, hsErrFiles(cwd), "no JVM crash reports");
        report(count, seed, outcomes, refusedLoaded, unnamed, failures, Duration.between(start, Instant.now()));
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    /** A session of a system prompt and two turns, saved: the file every mutation starts from. */
    private byte[] baseSession(Model model) throws IOException {
        Path file = dir.resolve("base.jseek");
        try (ChatSession chat = new ChatSession(model, OPTIONS)) {
            chat.setSystemPrompt("Be brief.");
            chat.send("First question", ChatListener.silent());
            chat.send("Second question", ChatListener.silent());
            chat.save(file);
        }
        return Files.readAllBytes(file);
    }

    /** A loaded session must still answer, or refuse the next message in one sentence. */
    private static String reply(ChatSession chat) {
        try {
            chat.send("Next question", ChatListener.silent());
            return "loaded; the next reply ran";
        } catch (JseekException e) {
            return "loaded; the next reply was refused (" + e.getClass().getSimpleName() + ")";
        }
    }

    private static String refusal(String message) {
        if (message.contains("is not a jseek session file")) {
            return "refused: not a session file";
        } else if (message.contains("is a session file of format")) {
            return "refused: format version";
        } else if (message.contains("is truncated or damaged")) {
            return "refused: length differs from the header's";
        } else if (message.contains("its checksum does not match")) {
            return "refused: checksum";
        } else if (message.contains(" is corrupt (")) {
            return "refused: a count or field out of bounds";
        } else if (message.contains("was saved with model")) {
            return "refused: saved with another model";
        } else if (message.contains("tokens but this context holds")) {
            return "refused: more tokens than the context";
        } else if (message.contains("KV-cache state")) {
            return "refused: llama.cpp rejected the KV state";
        }
        return "refused: " + message;
    }

    private static byte[] mutate(int kind, Random random, byte[] base) {
        byte[] b = base.clone();
        switch (kind) {
            case 0 -> flipBits(random, b, 0, b.length);
            case 1 -> b = Arrays.copyOf(b, random.nextInt(b.length));
            case 2 -> {
                int n = 1 + random.nextInt(64);
                int at = random.nextInt(b.length - n);
                byte[] old = Arrays.copyOfRange(b, at, at + n);
                do {
                    random.nextBytes(old);
                } while (Arrays.equals(old, 0, n, base, at, at + n));
                System.arraycopy(old, 0, b, at, n);
            }
            case 3 -> {
                b = new byte[random.nextInt(2 * base.length)];
                random.nextBytes(b);
            }
            case 4 -> {
                random.nextBytes(b);
                System.arraycopy(base, 0, b, 0, HEADER_BYTES);
            }
            case 5 -> {
                byte[] tail = new byte[1 + random.nextInt(64)];
                random.nextBytes(tail);
                b = Arrays.copyOf(b, b.length + tail.length);
                System.arraycopy(tail, 0, b, base.length, tail.length);
            }
            case 6 -> {
                flipBits(random, b, HEADER_BYTES, b.length - 4);
                reseal(b);
            }
            default -> {
                int at = oddValueOffset(random, b);
                int value = ODD_VALUES[random.nextInt(ODD_VALUES.length)];
                if (at < 0) {
                    b[-at] = (byte) value;
                } else {
                    ByteBuffer.wrap(b).putInt(at, value);
                }
                reseal(b);
            }
        }
        return b;
    }

    /** Flips 1-8 bits in [from, to), at least one of them for good (two flips of one bit cancel). */
    private static void flipBits(Random random, byte[] b, int from, int to) {
        byte[] before = b.clone();
        do {
            int flips = 1 + random.nextInt(8);
            for (int f = 0; f < flips; f++) {
                int at = from + random.nextInt(to - from);
                b[at] ^= (byte) (1 << random.nextInt(8));
            }
        } while (Arrays.equals(before, b));
    }

    /**
     * Where to put an odd value in a format-2 file: the offset of a 4-byte count (model name length, message count,
     * a message's length, token count, KV state length) or token id, or minus the offset of a message's role byte.
     */
    private static int oddValueOffset(Random random, byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file);
        List<Integer> places = new ArrayList<>();
        int at = HEADER_BYTES;
        places.add(at);
        at += 4 + b.getInt(at) + 8;
        places.add(at);
        int messages = b.getInt(at);
        at += 4;
        for (int i = 0; i < messages; i++) {
            places.add(-at);
            places.add(at + 1);
            at += 1 + 4 + b.getInt(at + 1);
        }
        places.add(at);
        int tokens = b.getInt(at);
        for (int t = 0; t < Math.min(tokens, 8); t++) {
            places.add(at + 4 + 4 * random.nextInt(tokens));
        }
        places.add(at + 4 + 4 * tokens);
        return places.get(random.nextInt(places.size()));
    }

    /** Writes the CRC32C of all but the last four bytes into the last four, as a writer would. */
    private static void reseal(byte[] file) {
        CRC32C crc = new CRC32C();
        crc.update(file, 0, file.length - 4);
        ByteBuffer.wrap(file).putInt(file.length - 4, (int) crc.getValue());
    }

    private static List<Path> hsErrFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("hs_err")).sorted().toList();
        }
    }

    private static void report(int count, long seed, Map<String, Integer> outcomes, int[][] refusedLoaded, int unnamed,
                               List<String> failures, Duration took) throws IOException {
        int damaged = 0;
        int damagedLoaded = 0;
        for (int k = 0; k < FIRST_CRAFTED; k++) {
            damaged += refusedLoaded[k][0] + refusedLoaded[k][1];
            damagedLoaded += refusedLoaded[k][1];
        }
        StringBuilder b = new StringBuilder();
        b.append("`bench/fuzz-sessions` on ").append(Instant.now()).append(": ").append(count)
                .append(" damaged, random or crafted copies of a saved two-turn session of the tiny model, seed ").append(seed)
                .append(", each through `ChatSession.load` (and one reply when it loads) in one JVM, in ")
                .append(took.toSeconds()).append(" s.\n\n");
        b.append("- Process deaths: none (the run finished; no hs_err file)\n");
        b.append("- Damaged files (checksum not made right) that loaded: ").append(damagedLoaded).append(" of ").append(damaged).append('\n');
        b.append("- Anything but a one-line JseekException, or a refusal that changed the conversation: ").append(failures.size()).append('\n');
        b.append("- Refusals whose message does not name the file: ").append(unnamed).append('\n');
        b.append("\n| mutation | files | refused | loaded |\n|---|---|---|---|\n");
        for (int k = 0; k < MUTATIONS.length; k++) {
            b.append("| ").append(MUTATIONS[k]).append(" | ").append(refusedLoaded[k][0] + refusedLoaded[k][1]).append(" | ")
                    .append(refusedLoaded[k][0]).append(" | ").append(refusedLoaded[k][1]).append(" |\n");
        }
        b.append("\n| outcome | files |\n|---|---|\n");
        outcomes.forEach((k, v) -> b.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        failures.forEach(f -> b.append("\n- ").append(f.replace('\n', ' ')));
        System.err.println(b);
        String target = System.getProperty("jseek.fuzz.report");
        if (target != null) {
            FuzzReport.writeSection(Path.of(target), "Session files", b.toString());
        }
    }
}
