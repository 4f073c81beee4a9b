package dev.jseek.chat;

import dev.jseek.ContextParams;
import dev.jseek.Generator;
import dev.jseek.Model;
import dev.jseek.ModelParams;
import dev.jseek.SamplerParams;
import dev.jseek.TestModels;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Continuous batching on the tiny model: isolation, prefix reuse, cancel and failure; latches, never sleeps. */
class ChatEngineTest {
    private static final String VERDICT = """
            {"type": "object", "properties": {"answer": {"enum": ["yes", "no"]}}, "required": ["answer"]}""";
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(TestModels.tiny(), ModelParams.defaults());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static ChatEngine engine(ChatTemplate template, int sequences, int maxQueue) {
        return new ChatEngine(model, new ChatEngine.Options(template,
                ContextParams.defaults().withContextSize(1024 * sequences).withSequences(sequences), maxQueue));
    }

    private static ChatOptions greedy(int maxTokens) {
        return ChatOptions.defaults().withContext(ContextParams.defaults().withContextSize(1024))
                .withSampling(SamplerParams.greedy()).withMaxTokens(maxTokens);
    }

    /** Collects what a request streams; optionally holds the engine when the request starts. */
    private static class Recorder extends Transcript {
        volatile int sequence = -1;
        volatile int reused = -1;
        private final Runnable atStart;

        Recorder() {
            this(() -> { });
        }

        /** @param atStart runs on the engine's thread when the request gets its sequence (everything waits for it) */
        Recorder(Runnable atStart) {
            this.atStart = atStart;
        }

        @Override
        public void onStarted(int sequence, int reusedTokens) {
            this.sequence = sequence;
            this.reused = reusedTokens;
            atStart.run();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ChatTurn alone(ChatTemplate template, List<ChatMessage> messages, ChatOptions options) {
        try (ChatSession chat = new ChatSession(model, options.withTemplate(template))) {
            chat.restoreHistory(messages.subList(0, messages.size() - 1));
            return chat.send(messages.getLast(), ChatListener.silent());
        }
    }

    private static ChatEngine.Reply done(ChatEngine.Handle h) throws Exception {
        return h.result().get(2, TimeUnit.MINUTES);
    }

    /**
     * A free reply and one whose answer a JSON schema's grammar constrains (both thinking, under a budget that forces
     * the reasoning closed, so the second switches to its grammar sampler mid-reply), decoded in the same batches,
     * each give exactly the greedy reply a session gives it alone.
     */
    @Test
    void requestsDecodedTogetherGiveTheGreedyRepliesEachGivesAlone() throws Exception {
        try (ChatTemplate v32 = ChatTemplate.jinja(model, LlamaSource.read("models/templates/deepseek-ai-DeepSeek-V3.2.jinja"), "V3.2");
             ChatEngine engine = engine(v32, 2, 4)) {
            List<ChatMessage> plain = List.of(ChatMessage.user("Why is the sea salty?"));
            ChatOptions plainOptions = greedy(24).withReasoningBudget(8);
            List<ChatMessage> call = List.of(ChatMessage.user("Yes or no?"));
            ChatOptions callOptions = greedy(40).withReasoningBudget(4)
                    .withGrammar(dev.jseek.Grammar.fromJsonSchema(VERDICT));

            CountDownLatch bothSubmitted = new CountDownLatch(1);
            // the engine waits at the first request's start: the second request joins while this one generates
            Recorder first = new Recorder(() -> await(bothSubmitted));
            AtomicReference<ChatEngine.Handle> plainHandle = new AtomicReference<>();
            AtomicBoolean overlapped = new AtomicBoolean();
            Recorder second = new Recorder(() -> overlapped.set(!plainHandle.get().result().isDone()));
            plainHandle.set(engine.submit(plain, plainOptions.reply(), first));
            ChatEngine.Handle callHandle = engine.submit(call, callOptions.reply(), second);
            bothSubmitted.countDown();
            ChatTurn plainTurn = done(plainHandle.get()).turn();
            ChatTurn callTurn = done(callHandle).turn();
            assertTrue(overlapped.get(), "the tool request started while the other was still generating");
            assertNotEquals(first.sequence, second.sequence);

            ChatTurn plainAlone = alone(v32, plain, plainOptions);
            ChatTurn callAlone = alone(v32, call, callOptions);
            assertSameReply(plainAlone, plainTurn, "free reply");
            assertSameReply(callAlone, callTurn, "schema answer");
            assertTrue(callTurn.answer().matches("\\{\\s*\"answer\"\\s*:\\s*\"(yes|no)\"\\s*}"), "the grammar shapes it: " + callTurn);
            assertEquals(Generator.StopReason.END_OF_GENERATION, callTurn.stop(), "the grammar ends it: " + callTurn);
            assertEquals(plainTurn.reasoning(), first.reasoning.toString(), "streamed as returned");
            assertEquals(plainTurn.answer(), first.answer.toString());
            assertEquals(callTurn.answer(), second.answer.toString());
        }
    }

    private static void assertSameReply(ChatTurn expected, ChatTurn actual, String what) {
        assertEquals(expected.reasoning(), actual.reasoning(), what + " reasoning");
        assertEquals(expected.answer(), actual.answer(), what + " answer");
        assertEquals(expected.toolCalls().stream().map(c -> c.name() + c.arguments()).toList(),
                actual.toolCalls().stream().map(c -> c.name() + c.arguments()).toList(), what + " calls");
        assertEquals(expected.stop(), actual.stop(), what + " stop");
        assertEquals(expected.stats().generatedTokens(), actual.stats().generatedTokens(), what + " tokens");
    }

    /**
     * A conversation's second turn goes back to the sequence holding its first, even after another conversation
     * (sharing the BOS and the user marker with it) came between, and decodes only the tokens after the shared prefix.
     */
    @Test
    void aContinuedConversationReturnsToItsSequenceAndDecodesOnlyWhatIsNew() throws Exception {
        try (ChatTemplate r1 = ChatTemplate.of(model); ChatEngine engine = engine(r1, 2, 4)) {
            ChatOptions options = greedy(16);
            List<ChatMessage> first = List.of(ChatMessage.user("First conversation, first question."));
            Recorder a = new Recorder();
            ChatTurn turn = done(engine.submit(first, options.reply(), a)).turn();
            Recorder other = new Recorder();
            done(engine.submit(List.of(ChatMessage.user("Another conversation.")), options.reply(), other));
            assertNotEquals(a.sequence, other.sequence, "a few common tokens do not take a conversation's sequence");

            List<ChatMessage> next = List.of(first.getFirst(), ChatMessage.assistant(turn.answer()), ChatMessage.user("And then?"));
            Recorder continued = new Recorder();
            ChatTurn second = done(engine.submit(next, options.reply(), continued)).turn();
            assertEquals(a.sequence, continued.sequence, "back on the sequence that holds the conversation");

            ChatPrompt prompts = new ChatPrompt(model.vocab(), r1);
            int[] before = prompts.build(first, options.reply()).tokens();
            int[] now = prompts.build(next, options.reply()).tokens();
            int shared = 0;
            while (shared < before.length && before[shared] == now[shared]) {
                shared++;
            }
            // the first prompt's "<think>\n" prefill is not in the history: the two part there
            assertTrue(shared > 0 && shared < before.length, "shared " + shared + " of " + before.length);
            assertEquals(shared, continued.reused, "the listener is told what was reused");
            assertEquals(now.length, second.stats().promptTokens());
            assertEquals(now.length - shared, second.stats().decodedPromptTokens(), "only what is new is decoded");
        }
    }

    /**
     * A request cancelled mid-generation leaves at the next step; its sequence takes the next request at once while
     * the other request is still generating, and that one runs to its end.
     */
    @Test
    void aCancelledRequestFreesItsSequenceAtOnceWhileAnotherRunsToTheEnd() throws Exception {
        try (ChatTemplate r1 = ChatTemplate.of(model); ChatEngine engine = engine(r1, 2, 4)) {
            CountDownLatch bothSubmitted = new CountDownLatch(1);
            AtomicReference<ChatEngine.Handle> longOne = new AtomicReference<>();
            AtomicReference<ChatEngine.Handle> shortOne = new AtomicReference<>();
            AtomicReference<ChatEngine.Handle> third = new AtomicReference<>();
            AtomicBoolean shortRunningWhenThirdStarted = new AtomicBoolean();
            Recorder thirdListener = new Recorder(() -> shortRunningWhenThirdStarted.set(!shortOne.get().result().isDone()));
            Recorder longListener = new Recorder(() -> await(bothSubmitted));
            AtomicInteger shortTokens = new AtomicInteger();
            Recorder shortListener = new Recorder() {
                @Override
                public void onReasoning(String text) {
                    super.onReasoning(text);
                    if (shortTokens.incrementAndGet() == 3) {
                        longOne.get().cancel(); // from the engine's own thread: it takes effect at the next step
                    }
                }
            };
            longOne.set(engine.submit(List.of(ChatMessage.user("Tell me everything.")), greedy(2000).reply(), longListener));
            shortOne.set(engine.submit(List.of(ChatMessage.user("Hi")), greedy(30).reply(), shortListener));
            // the moment the cancelled request ends, a third is submitted: it must get the freed sequence next step
            longOne.get().result().whenComplete((r, e) ->
                    third.set(engine.submit(List.of(ChatMessage.user("Next")), greedy(4).reply(), thirdListener)));
            bothSubmitted.countDown();

            ChatEngine.Reply cancelled = done(longOne.get());
            assertEquals(Generator.StopReason.CANCELLED, cancelled.turn().stop());
            assertTrue(cancelled.turn().stats().generatedTokens() < 20, "left at once: " + cancelled.turn().stats());
            ChatEngine.Reply finished = done(shortOne.get());
            assertEquals(Generator.StopReason.MAX_TOKENS, finished.turn().stop(), "the other ran to its limit");
            assertEquals(30, finished.turn().stats().generatedTokens());
            done(third.get());
            assertEquals(longListener.sequence, thirdListener.sequence, "the cancelled request's sequence was taken next");
            assertTrue(shortRunningWhenThirdStarted.get(), "while the other request was still generating");
            assertEquals(0, engine.busy());
        }
    }

    /** A request whose listener throws fails alone; a full queue refuses the next request at once. */
    @Test
    void aFailingRequestFailsAloneAndAFullQueueRefuses() throws Exception {
        try (ChatTemplate r1 = ChatTemplate.of(model); ChatEngine engine = engine(r1, 1, 1)) {
            CountDownLatch hold = new CountDownLatch(1);
            Recorder failing = new Recorder() {
                @Override
                public void onStarted(int sequence, int reusedTokens) {
                    try {
                        hold.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }

                @Override
                public void onReasoning(String text) {
                    throw new IllegalStateException("the listener broke");
                }
            };
            CountDownLatch started = new CountDownLatch(1);
            ChatEngine.Handle bad = engine.submit(List.of(ChatMessage.user("Hi")), greedy(8).reply(), new Recorder() {
                @Override
                public void onStarted(int sequence, int reusedTokens) {
                    started.countDown();
                    failing.onStarted(sequence, reusedTokens);
                }

                @Override
                public void onReasoning(String text) {
                    failing.onReasoning(text);
                }
            });
            assertTrue(started.await(2, TimeUnit.MINUTES));
            ChatEngine.Handle queued = engine.submit(List.of(ChatMessage.user("Hello")), greedy(8).reply(), new Recorder());
            assertEquals(1, engine.waiting());
            ChatEngine.Busy busy = assertThrows(ChatEngine.Busy.class,
                    () -> engine.submit(List.of(ChatMessage.user("Hey")), greedy(8).reply(), new Recorder()));
            assertTrue(busy.getMessage().contains("1 requests are waiting"), busy.getMessage());
            hold.countDown();
            CompletionException failure = assertThrows(CompletionException.class, () -> bad.result().join());
            assertEquals("the listener broke", failure.getCause().getMessage());
            ChatEngine.Reply ok = done(queued);
            assertEquals(8, ok.turn().stats().generatedTokens());
            assertSame(Generator.StopReason.MAX_TOKENS, ok.turn().stop());
        }
    }
}
