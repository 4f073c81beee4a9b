package dev.jseek.chat;

import dev.jseek.JseekException;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplerParams;
import dev.jseek.TestModels;

import dev.jseek.models.TinyDeepSeek;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChatSessionSaveTest {
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static final ChatOptions OPTIONS = ChatOptions.defaults().withSampling(SamplerParams.greedy())
            .withMaxTokens(12).withReasoningBudget(4);

    @Test
    void aLoadedSessionContinuesExactlyAsIfItHadNeverBeenSaved(@TempDir Path dir) {
        dev.jseek.ChatChecks.aLoadedSessionContinuesExactly(model, OPTIONS, dir);
    }

    @Test
    void aSessionOfAnotherModelOrACorruptFileIsRefusedClearly(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("chat.jseek");
        try (ChatSession chat = new ChatSession(model, OPTIONS)) {
            chat.send("Hello", ChatListener.silent());
            chat.save(file);
        }
        Path otherModel = TestModels.generate(dir, TinyDeepSeek.Config.defaults().withSeed(43));
        try (Model other = Model.load(otherModel, ModelParams.defaults());
             ChatSession chat = new ChatSession(other, OPTIONS)) {
            JseekException e = assertThrows(JseekException.class, () -> chat.load(file));
            assertTrue(e.getMessage().contains("was saved with model"), e.getMessage());
        }
        byte[] bytes = Files.readAllBytes(file);
        Path truncated = Files.write(dir.resolve("truncated.jseek"), Arrays.copyOf(bytes, bytes.length / 2));
        Path garbage = Files.writeString(dir.resolve("garbage.jseek"), "not a session at all");
        try (ChatSession chat = new ChatSession(model, OPTIONS)) {
            assertTrue(assertThrows(JseekException.class, () -> chat.load(truncated)).getMessage().contains("truncated"));
            assertTrue(assertThrows(JseekException.class, () -> chat.load(garbage)).getMessage().contains("not a jseek session"));
            assertEquals(0, chat.history().size(), "a failed load changes nothing");
        }
    }

    /** A saved session of two turns: the bytes every damage test starts from. */
    private static byte[] savedSession(Path dir) throws IOException {
        Path file = dir.resolve("saved.jseek");
        try (ChatSession chat = new ChatSession(model, OPTIONS)) {
            chat.setSystemPrompt("Be brief.");
            chat.send("First question", ChatListener.silent());
            chat.send("Second question", ChatListener.silent());
            chat.save(file);
        }
        return Files.readAllBytes(file);
    }

    /** Loads each file into a fresh session: every one must be refused with one sentence naming it, and change nothing. */
    private static void assertAllRefused(List<Path> files) {
        assertAllRefused(files, "");
    }

    /** As above, and each message says {@code saying}. */
    private static void assertAllRefused(List<Path> files, String saying) {
        List<String> loaded = new ArrayList<>();
        List<String> unclear = new ArrayList<>();
        ChatSession chat = new ChatSession(model, OPTIONS);
        try {
            for (Path f : files) {
                try {
                    chat.load(f);
                    loaded.add(f.getFileName().toString());
                    chat.close();
                    chat = new ChatSession(model, OPTIONS);
                } catch (JseekException e) {
                    if (!e.getMessage().startsWith(f.toString()) || e.getMessage().lines().count() != 1 || !e.getMessage().contains(saying)) {
                        unclear.add(e.getMessage());
                    }
                    assertEquals(0, chat.history().size(), "a refused load changes nothing: " + f);
                }
            }
        } finally {
            chat.close();
        }
        assertEquals(0, loaded.size(), loaded.size() + " of " + files.size() + " damaged files loaded, among them "
                + loaded.subList(0, Math.min(5, loaded.size())));
        assertEquals(0, unclear.size(), unclear.size() + " of " + files.size() + " refusals are not one line naming the file and saying '" + saying + "', as "
                + unclear.subList(0, Math.min(3, unclear.size())));
    }

    @Test
    void noneOf200CopiesWithOneToEightFlippedBitsLoads(@TempDir Path dir) throws IOException {
        byte[] original = savedSession(dir);
        Random random = new Random(12);
        List<Path> copies = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            byte[] copy = original.clone();
            int bits = 1 + random.nextInt(8);
            for (int b = 0; b < bits; b++) {
                int bit = random.nextInt(copy.length * 8);
                copy[bit / 8] ^= (byte) (1 << (bit % 8));
            }
            if (!Arrays.equals(copy, original)) { // two flips of one bit cancel
                copies.add(Files.write(dir.resolve("flipped-" + i + ".jseek"), copy));
            }
        }
        assertTrue(copies.size() > 190, copies.size() + " damaged copies");
        assertAllRefused(copies);
    }

    @Test
    void everyTruncationIsRefused(@TempDir Path dir) throws IOException {
        byte[] original = savedSession(dir);
        List<Path> cuts = new ArrayList<>();
        Stream.concat(Stream.iterate(0, n -> n < 64, n -> n + 1),
                        Stream.iterate(original.length - 64, n -> n < original.length, n -> n + 1))
                .distinct().forEach(n -> cuts.add(write(dir, "cut-" + n, Arrays.copyOf(original, n))));
        for (int i = 1; i < 100; i++) {
            int n = (int) ((long) original.length * i / 100);
            cuts.add(write(dir, "cut-at-" + i + "pc", Arrays.copyOf(original, n)));
        }
        cuts.add(write(dir, "longer", Arrays.copyOf(original, original.length + 1)));
        assertAllRefused(cuts);
        Path half = write(dir, "half", Arrays.copyOf(original, original.length / 2));
        try (ChatSession chat = new ChatSession(model, OPTIONS)) {
            assertTrue(assertThrows(JseekException.class, () -> chat.load(half)).getMessage().contains("truncated"));
        }
    }

    /**
     * Every count in the file set to a huge value, with the checksum made right again (as a hostile or buggy
     * writer would): refused with one sentence, not an OutOfMemoryError from allocating the count.
     */
    @Test
    void aHugeCountWithAValidChecksumIsRefusedWithoutAllocatingIt(@TempDir Path dir) throws IOException {
        byte[] original = savedSession(dir);
        List<Path> files = new ArrayList<>();
        for (int field = 0; field < 4; field++) {
            for (int value : new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE - 16, 0x40000000, -1}) {
                byte[] copy = original.clone();
                ByteBuffer.wrap(copy).putInt(countOffset(copy, field), value);
                reseal(copy);
                files.add(write(dir, "count" + field + "-" + value, copy));
            }
        }
        assertAllRefused(files, " is corrupt (");
    }

    @Test
    void aFileOfTheOldFormatOrANewerOneGetsOneSentence(@TempDir Path dir) throws IOException {
        byte[] original = savedSession(dir);
        byte[] old = original.clone();
        ByteBuffer.wrap(old).putInt(8, 1);
        byte[] newer = original.clone();
        ByteBuffer.wrap(newer).putInt(8, 3);
        Path oldFile = write(dir, "format1", old);
        Path newerFile = write(dir, "format3", newer);
        assertAllRefused(List.of(oldFile, newerFile));
        try (ChatSession chat = new ChatSession(model, OPTIONS)) {
            assertTrue(assertThrows(JseekException.class, () -> chat.load(oldFile)).getMessage().contains("format 1, saved by an older jseek"));
            assertTrue(assertThrows(JseekException.class, () -> chat.load(newerFile)).getMessage().contains("format 3"));
        }
    }

    @Test
    void aFailedSaveLeavesNoTemporaryFileAndASaveReplacesTheOldFileWhole(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("chat.jseek");
        Path blocked = Files.createDirectories(dir.resolve("blocked.jseek"));
        Files.writeString(blocked.resolve("inside"), "a directory that is not empty cannot be replaced by a rename");
        try (ChatSession chat = new ChatSession(model, OPTIONS)) {
            chat.send("Hello", ChatListener.silent());
            chat.save(file);
            JseekException e = assertThrows(JseekException.class, () -> chat.save(blocked));
            assertTrue(e.getMessage().startsWith("Cannot save the session to " + blocked + " (") && e.getMessage().lines().count() == 1,
                    e.getMessage());
            chat.send("Again", ChatListener.silent());
            chat.save(file);
        }
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of("blocked.jseek", "chat.jseek"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary file is left beside the sessions");
        }
        assertTrue(Files.isDirectory(blocked) && Files.exists(blocked.resolve("inside")), "the failed save touched nothing");
        try (ChatSession restored = new ChatSession(model, OPTIONS)) {
            restored.load(file);
            assertEquals(4, restored.history().size(), "the second save replaced the first");
        }
    }

    @Test
    void aMissingFileIsASentenceNotAnIoError(@TempDir Path dir) {
        Path missing = dir.resolve("nowhere.jseek");
        try (ChatSession chat = new ChatSession(model, OPTIONS)) {
            JseekException e = assertThrows(JseekException.class, () -> chat.load(missing));
            assertEquals(missing + " does not exist.", e.getMessage());
        }
    }

    private static Path write(Path dir, String name, byte[] bytes) {
        try {
            return Files.write(dir.resolve(name + ".jseek"), bytes);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Offset of a count in a format-2 file (magic, version, length; model name; model size; messages; tokens;
     * KV state): 0 the model name's length, 1 the message count, 2 the token count, 3 the KV state's length.
     */
    private static int countOffset(byte[] file, int field) {
        ByteBuffer b = ByteBuffer.wrap(file);
        int at = 8 + 4 + 8;
        if (field == 0) {
            return at;
        }
        at += 4 + b.getInt(at) + 8;
        if (field == 1) {
            return at;
        }
        int messages = b.getInt(at);
        at += 4;
        for (int i = 0; i < messages; i++) {
            at += 1 + 4 + b.getInt(at + 1);
        }
        if (field == 2) {
            return at;
        }
        return at + 4 + 4 * b.getInt(at);
    }

    /** Writes the CRC32C of all but the last four bytes into the last four, as a writer would. */
    private static void reseal(byte[] file) {
        CRC32C crc = new CRC32C();
        crc.update(file, 0, file.length - 4);
        ByteBuffer.wrap(file).putInt(file.length - 4, (int) crc.getValue());
    }
}
