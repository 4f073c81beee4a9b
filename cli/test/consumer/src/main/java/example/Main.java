package example;

import dev.jseek.Backend;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplingPreset;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTurn;

import java.nio.file.Path;

/**
 * One chat turn with jseek as a plain dependency, after {@code mvn package}. On the class path:
 * {@code java --enable-native-access=ALL-UNNAMED -cp "target/lib/*:target/jseek-consumer-1.jar" example.Main model.gguf};
 * on the module path: {@code java --module-path target/lib --add-modules dev.jseek,dev.jseek.natives
 * --enable-native-access=dev.jseek,dev.jseek.bindings -cp target/jseek-consumer-1.jar example.Main model.gguf}.
 * Prints where the libraries came from, how long starting llama.cpp took, and the greedy answer.
 */
public final class Main {
    private Main() {
    }

    public static void main(String... args) {
        long start = System.nanoTime();
        Backend backend = Backend.get(); // finds the natives jar on the class path, extracted into the cache once
        long startMillis = (System.nanoTime() - start) / 1_000_000;
        ChatOptions options = ChatOptions.defaults().withSampling(SamplingPreset.GREEDY.params())
                .withMaxTokens(32).withReasoningBudget(8);
        try (Model model = Model.load(Path.of(args[0]), ModelParams.defaults());
             ChatSession chat = new ChatSession(model, options)) {
            ChatTurn turn = chat.send("Why is the sea salty?", ChatListener.silent());
            System.out.println("libraries: " + backend.libraryDir());
            System.out.println("backend start: " + startMillis + " ms");
            System.out.println("answer:");
            System.out.println(turn.answer());
        }
    }
}
