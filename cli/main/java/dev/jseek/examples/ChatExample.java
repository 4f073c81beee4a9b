package dev.jseek.examples;

import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTurn;

import dev.jseek.cli.DemoModel;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplingPreset;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * The runtime API in one screen: load a model, chat two turns, print the reasoning and the answer as they
 * stream, and the speed. Run it with a Java 25 `java` (after `cli/jseek` or `./mvnw package` built the jars):
 * <pre>java --enable-native-access=ALL-UNNAMED -cp "cli/target/lib/*:cli/target/jseek.jar" dev.jseek.examples.ChatExample [model.gguf]</pre>
 * Without an argument it uses the demo model (random weights: the words are noise, the mechanics are real).
 */
public final class ChatExample {
    private ChatExample() {
    }

    public static void main(String... args) {
        run(args.length > 0 ? Path.of(args[0]) : DemoModel.ensure(), System.out);
    }

    static void run(Path modelFile, PrintStream out) {
        ChatOptions options = ChatOptions.defaults()
                .withSampling(SamplingPreset.R1.params().withSeed(42))
                .withMaxTokens(64)
                .withReasoningBudget(32);
        try (Model model = Model.load(modelFile, ModelParams.defaults());
             ChatSession chat = new ChatSession(model, options)) {
            chat.setSystemPrompt("You are a concise assistant.");
            ChatListener printer = new ChatListener() {
                @Override
                public void onReasoning(String text) {
                    out.print(text); // a real UI would show this dimmed, or fold it
                }

                @Override
                public void onAnswer(String text) {
                    out.print(text);
                }
            };
            for (String question : new String[] {"Why is the sea salty?", "And why is it blue?"}) {
                out.println("> " + question);
                ChatTurn turn = chat.send(question, printer);
                out.printf("%n[%d tokens, %d of them reasoning, %.1f tok/s; %d of %d prompt tokens decoded]%n",
                        turn.stats().generatedTokens(), turn.stats().reasoningTokens(),
                        turn.stats().generationTokensPerSecond(), turn.stats().decodedPromptTokens(),
                        turn.stats().promptTokens());
            }
        }
    }
}
