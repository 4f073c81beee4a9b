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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

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
        Path file = dir.resolve("chat.jseek");
        ChatTurn uninterrupted;
        try (ChatSession chat = new ChatSession(model, OPTIONS)) {
            chat.setSystemPrompt("Be brief.");
            chat.send("First question", ChatListener.silent());
            chat.save(file);
            uninterrupted = chat.send("Second question", ChatListener.silent());
        }
        try (ChatSession restored = new ChatSession(model, OPTIONS)) {
            restored.load(file);
            assertEquals(ChatMessage.system("Be brief."), restored.history().getFirst());
            assertEquals(3, restored.history().size());
            ChatTurn resumed = restored.send("Second question", ChatListener.silent());
            assertEquals(uninterrupted.reasoning() + "|" + uninterrupted.answer(), resumed.reasoning() + "|" + resumed.answer());
            assertEquals(uninterrupted.stats().decodedPromptTokens(), resumed.stats().decodedPromptTokens(),
                    "the KV cache came back with the file: only the new tokens are decoded");
        }
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
}
