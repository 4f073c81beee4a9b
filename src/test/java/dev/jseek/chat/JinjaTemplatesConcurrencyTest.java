package dev.jseek.chat;

import dev.jseek.LoadedModel;
import dev.jseek.TestModels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Whether one Jinja template handle may render for several threads at once (the engine builds each request's prompt on
 * its caller's thread, with no lock): conversations rendered and tokenized by four threads at once, over and over,
 * give exactly what they give one at a time.
 */
class JinjaTemplatesConcurrencyTest {
    private static final String TOOLS = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", "
            + "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}]";
    @RegisterExtension
    static final LoadedModel MODEL = new LoadedModel(TestModels::tiny);

    private record Request(List<ChatMessage> messages, ReplyOptions options) {
    }

    /** What a render gives: the prompt, the tokens, the parser and the tool grammar. */
    private static String rendered(ChatPrompt prompts, Request r) {
        ChatPrompt.Built b = prompts.build(new ArrayList<>(r.messages()), r.options());
        return b.rendered().prompt() + "\n" + Arrays.toString(b.tokens()) + "\n" + b.rendered().parserParams() + "\n"
                + b.rendered().toolGrammar() + "\n" + b.opensThinking();
    }

    private static List<Request> requests() {
        List<Request> all = new ArrayList<>();
        ChatTools tools = ChatTools.parse(TOOLS, "tools", ChatTools.Choice.AUTO);
        for (int i = 0; i < 12; i++) {
            List<ChatMessage> messages = new ArrayList<>();
            messages.add(ChatMessage.system("You are assistant number " + i + "."));
            for (int turn = 0; turn < i % 4; turn++) {
                messages.add(ChatMessage.user("Question " + turn + " of " + i + ": 深度求索 🐳?"));
                messages.add(ChatMessage.assistant("Answer " + turn + "."));
            }
            messages.add(ChatMessage.user("Weather in city " + i + "?"));
            ReplyOptions options = ReplyOptions.defaults().withThinking(i % 2 == 0);
            all.add(new Request(messages, i % 3 == 0 ? options.withTools(tools) : options));
        }
        return all;
    }

    @Test
    void rendersAtOnceEqualRendersOneAtATime() throws Exception {
        try (ChatTemplate v32 = ChatTemplate.jinja(MODEL.get(), LlamaSource.read("models/templates/deepseek-ai-DeepSeek-V3.2.jinja"), "V3.2")) {
            ChatPrompt prompts = new ChatPrompt(MODEL.get().vocab(), v32);
            List<Request> requests = requests();
            List<String> serial = requests.stream().map(r -> rendered(prompts, r)).toList();
            int threads = 4;
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<String>>> results = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int offset = t;
                    results.add(pool.submit(() -> {
                        start.await();
                        List<String> got = new ArrayList<>(java.util.Collections.nCopies(requests.size(), ""));
                        for (int round = 0; round < 20; round++) {
                            for (int k = 0; k < requests.size(); k++) {
                                int i = (k + offset * 3 + round) % requests.size(); // each thread in another order
                                String r = rendered(prompts, requests.get(i));
                                if (round > 0 && !r.equals(got.get(i))) {
                                    return List.of("round " + round + " of request " + i + " differs");
                                }
                                got.set(i, r);
                            }
                        }
                        return got;
                    }));
                }
                start.countDown();
                for (Future<List<String>> f : results) {
                    assertEquals(serial, f.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}
