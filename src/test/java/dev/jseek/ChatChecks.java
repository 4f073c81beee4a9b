package dev.jseek;

import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatMessage;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTurn;
import dev.jseek.chat.Transcript;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat checks every architecture's model test runs: the reasoning split, and save/load continuing exactly. */
public final class ChatChecks {
    private ChatChecks() {
    }

    /** One turn with a reasoning budget of 8: streamed and returned text agree, reasoning then an answer. */
    public static void aTurnSplitsReasoningFromTheAnswer(Model model, ChatOptions options) {
        try (ChatSession chat = new ChatSession(model, options.withMaxTokens(24).withReasoningBudget(8))) {
            Transcript streamed = new Transcript();
            ChatTurn turn = chat.send("What is 2+2?", streamed);
            assertEquals(turn.reasoning(), streamed.reasoning.toString());
            assertEquals(turn.answer(), streamed.answer.toString());
            assertFalse(turn.reasoning().isEmpty(), "the pre-filled <think> makes the first tokens reasoning");
            assertTrue(turn.stats().reasoningTokens() > 0 && turn.stats().reasoningTokens() <= 8, turn.stats().toString());
            assertTrue(turn.stats().generatedTokens() > turn.stats().reasoningTokens(),
                    "the budget ends the reasoning, an answer follows: " + turn.stats());
            assertFalse(turn.answer().contains("</think>") || turn.reasoning().contains("</think>"), turn.toString());
            assertEquals(List.of(ChatMessage.user("What is 2+2?"), ChatMessage.assistant(turn.answer())), chat.history());
            assertTrue(turn.stats().firstTokenNanos() > 0, turn.stats().toString());
        }
    }

    /** A session saved after one turn and loaded in another gives the same next reply, decoding only the new tokens. */
    public static void aLoadedSessionContinuesExactly(Model model, ChatOptions options, Path dir) {
        Path file = dir.resolve("chat.jseek");
        ChatTurn uninterrupted;
        try (ChatSession chat = new ChatSession(model, options)) {
            chat.setSystemPrompt("Be brief.");
            chat.send("First question", ChatListener.silent());
            chat.save(file);
            uninterrupted = chat.send("Second question", ChatListener.silent());
        }
        try (ChatSession restored = new ChatSession(model, options)) {
            restored.load(file);
            assertEquals(ChatMessage.system("Be brief."), restored.history().getFirst());
            assertEquals(3, restored.history().size());
            ChatTurn resumed = restored.send("Second question", ChatListener.silent());
            assertEquals(uninterrupted.reasoning() + "|" + uninterrupted.answer(), resumed.reasoning() + "|" + resumed.answer());
            assertTrue(uninterrupted.stats().generatedTokens() > 0, "the reply is not empty");
            assertEquals(uninterrupted.stats().decodedPromptTokens(), resumed.stats().decodedPromptTokens(),
                    "the KV cache came back with the file: only the new tokens are decoded");
        }
    }
}
