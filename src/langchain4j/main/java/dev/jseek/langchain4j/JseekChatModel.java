package dev.jseek.langchain4j;

import dev.jseek.ContextParams;
import dev.jseek.Model;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatEngine;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.chat.ChatTools;
import dev.jseek.chat.ReplyOptions;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * LangChain4j's {@link ChatModel} and {@link StreamingChatModel} over a jseek {@link Model}, in process (no HTTP).
 *
 * <p>Requests are answered by one {@link ChatEngine} (one context, made at the first request, with
 * {@link Builder#parallel} sequences), so the next step of a conversation, a tool loop's above all, finds its earlier
 * turns in the KV cache and decodes only what is new ({@link JseekTokenUsage#cachedInputTokenCount()} says how much
 * was reused). This object may be shared by threads: requests beyond the sequences wait their turn. Close it to free
 * the context; the model, and the template when one is given, belong to the caller, who closes them after this
 * object's last use.
 *
 * <p>Mapping: system, user (text only), AI (text and tool execution requests) and tool-result messages become the
 * conversation; the last message must be a user message or a tool result. Tool specifications become OpenAI
 * function tools (Jinja templates only, e.g. DeepSeek V3.2's file), one call per reply (parallel calls off);
 * {@link ToolChoice#REQUIRED} makes the reply a call, {@link ToolChoice#NONE} an answer in text.
 * A JSON response format constrains the answer by a grammar (the schema's, through llama.cpp's converter, or any JSON).
 * Temperature, top-p, top-k, frequency and presence penalties, max output tokens and stop sequences override the
 * builder's settings. The reply's reasoning goes to {@link AiMessage#thinking()}, its answer to the text.
 *
 * <p>Tool choice REQUIRED applies, by default, only when the last message is a user message: after a tool result
 * the choice is AUTO, so that a tool loop such as {@code AiServices}' can end with an answer (REQUIRED there would
 * call tools for ever). {@link Builder#requireToolsAfterToolResults(boolean)} turns that off.
 *
 * <pre>{@code
 * try (Model model = Model.load(Path.of("DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf"), ModelParams.defaults());
 *      JseekChatModel chat = JseekChatModel.builder().model(model).maxTokens(1024).build()) {
 *     ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Why is the sky blue?")).build());
 *     System.out.println(r.aiMessage().thinking() + "\n---\n" + r.aiMessage().text());
 * }
 * }</pre>
 *
 * <p>Streaming calls the handler on the calling thread: {@code chat(request, handler)} returns after
 * {@link StreamingChatResponseHandler#onCompleteResponse} or {@link StreamingChatResponseHandler#onError}, exactly
 * one of which is called; no exception escapes it.
 */
public final class JseekChatModel implements ChatModel, StreamingChatModel, AutoCloseable {
    private final Model model;
    private final ChatEngine.Options setup;
    private final ReplyOptions base;
    private final ChatRequestParameters defaults;
    private final boolean requireToolsAfterToolResults;
    private ChatEngine engine;
    private boolean closed;

    private JseekChatModel(Builder b) {
        this.model = Objects.requireNonNull(b.model, "model");
        if (b.parallel < 1) {
            throw new IllegalArgumentException("parallel must be at least 1, not " + b.parallel);
        }
        this.setup = new ChatEngine.Options(b.template,
                ContextParams.defaults().withContextSize(b.contextSize * b.parallel).withSequences(b.parallel), Integer.MAX_VALUE);
        this.base = ReplyOptions.defaults().withSampling(b.sampling).withMaxTokens(b.maxTokens).withThinking(b.thinking)
                .withReasoningBudget(b.reasoningBudget);
        this.defaults = ChatRequestParameters.builder()
                .maxOutputTokens(b.maxTokens).toolChoice(b.toolChoice).responseFormat(b.responseFormat).build();
        this.requireToolsAfterToolResults = b.requireToolsAfterToolResults;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    @Override
    public List<ChatModelListener> listeners() {
        return List.of();
    }

    @Override
    public Set<Capability> supportedCapabilities() {
        return Set.of(Capability.RESPONSE_FORMAT_JSON_SCHEMA);
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        return run(request, ChatListener.silent());
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        ChatResponse response;
        try {
            response = run(request, new ChatListener() {
                @Override
                public void onReasoning(String text) {
                    if (!text.isEmpty()) {
                        handler.onPartialThinking(new PartialThinking(text));
                    }
                }

                @Override
                public void onAnswer(String text) {
                    if (!text.isEmpty()) {
                        handler.onPartialResponse(text);
                    }
                }
            });
        } catch (Throwable e) {
            handler.onError(e);
            return;
        }
        try {
            handler.onCompleteResponse(response);
        } catch (Throwable e) {
            handler.onError(e);
        }
    }

    /** The engine, made at the first request. */
    private synchronized ChatEngine engine() {
        if (closed) {
            throw new IllegalStateException("this JseekChatModel is closed");
        }
        if (engine == null) {
            engine = new ChatEngine(model, setup);
        }
        return engine;
    }

    /** Frees the engine's context (the model and template stay the caller's); waits for a request under way. */
    @Override
    public synchronized void close() {
        closed = true;
        if (engine != null) {
            engine.close();
        }
    }

    /**
     * Answers on the engine; the listener is called on this thread (the engine's thread hands it each piece), so a
     * handler never sees another thread.
     */
    private ChatResponse run(ChatRequest request, ChatListener listener) {
        List<ChatMessage> messages = request.messages();
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a chat request needs at least one message");
        }
        List<dev.jseek.chat.ChatMessage> conversation = new ArrayList<>();
        for (ChatMessage m : messages) {
            conversation.add(Mapping.toJseek(m));
        }
        dev.jseek.chat.ChatMessage.Role last = conversation.getLast().role();
        if (last != dev.jseek.chat.ChatMessage.Role.USER && last != dev.jseek.chat.ChatMessage.Role.TOOL) {
            throw new IllegalArgumentException("the last message must be a user message or a tool result, not " + last.wireName());
        }
        ReplyOptions options = options(request.parameters(), messages.getLast() instanceof UserMessage);
        BlockingQueue<Runnable> events = new LinkedBlockingQueue<>();
        Runnable done = () -> { };
        ChatEngine.Handle handle = engine().submit(conversation, options, new ChatEngine.Listener() {
            @Override
            public void onReasoning(String text) {
                events.add(() -> listener.onReasoning(text));
            }

            @Override
            public void onAnswer(String text) {
                events.add(() -> listener.onAnswer(text));
            }

            @Override
            public void onNotice(String message) {
                events.add(() -> listener.onNotice(message));
            }
        });
        handle.result().whenComplete((reply, failure) -> events.add(done));
        boolean interrupted = false;
        try {
            for (Runnable event; (event = take(events, handle)) != done; ) {
                if (event != null) {
                    event.run();
                } else {
                    interrupted = true;
                }
            }
        } catch (RuntimeException | Error e) {
            handle.cancel(); // the listener failed: the rest of the reply is not wanted
            throw e;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            return Mapping.response(handle.result().join().turn());
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    /** The next event; null (after cancelling the request) when the thread is interrupted. */
    private static Runnable take(BlockingQueue<Runnable> events, ChatEngine.Handle handle) {
        try {
            return events.take();
        } catch (InterruptedException e) {
            handle.cancel();
            return null;
        }
    }

    ReplyOptions options(ChatRequestParameters p, boolean userTurn) {
        ReplyOptions o = base;
        if (p == null) {
            return o;
        }
        SamplerParams s = o.sampling();
        if (p.temperature() != null) {
            s = s.withTemperature(p.temperature().floatValue());
        }
        if (p.topP() != null) {
            s = s.withTopP(p.topP().floatValue());
        }
        if (p.topK() != null) {
            s = s.withTopK(p.topK());
        }
        if (p.frequencyPenalty() != null) {
            s = s.withFrequencyPenalty(p.frequencyPenalty().floatValue());
        }
        if (p.presencePenalty() != null) {
            s = s.withPresencePenalty(p.presencePenalty().floatValue());
        }
        o = o.withSampling(s);
        if (p.maxOutputTokens() != null) {
            o = o.withMaxTokens(p.maxOutputTokens());
        }
        if (p.stopSequences() != null && !p.stopSequences().isEmpty()) {
            o = o.withStopStrings(p.stopSequences());
        }
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            ChatTools.Choice choice = p.toolChoice() == ToolChoice.NONE ? ChatTools.Choice.NONE
                    : p.toolChoice() == ToolChoice.REQUIRED && (userTurn || requireToolsAfterToolResults)
                    ? ChatTools.Choice.REQUIRED : ChatTools.Choice.AUTO;
            o = o.withTools(ChatTools.parse(Mapping.toolsJson(p.toolSpecifications()), "LangChain4j tool specifications", choice)
                    .withParallel(false));
        }
        o = o.withGrammar(Mapping.grammar(p.responseFormat()));
        return o;
    }

    /** Settings of a {@link JseekChatModel}; only the model is required. */
    public static final class Builder {
        private Model model;
        private ChatTemplate template;
        private int maxTokens = 2048;
        private int contextSize = ContextParams.defaults().contextSize();
        private int parallel = 1;
        private boolean thinking = true;
        private int reasoningBudget = -1;
        private SamplerParams sampling = SamplerParams.deepSeekR1();
        private ToolChoice toolChoice;
        private ResponseFormat responseFormat;
        private boolean requireToolsAfterToolResults;

        private Builder() {
        }

        /** The loaded model (the caller's: it closes it after this chat model's last use). */
        public Builder model(Model m) {
            this.model = m;
            return this;
        }

        /** The chat template (the caller's); null for the model's own. Tools need a Jinja template. */
        public Builder template(ChatTemplate t) {
            this.template = t;
            return this;
        }

        /** Most tokens per reply, reasoning included, unless a request sets max output tokens (default 2048). */
        public Builder maxTokens(int n) {
            this.maxTokens = n;
            return this;
        }

        /** The tokens of each conversation's sequence (prompt and reply; default: jseek's, 4096). */
        public Builder contextSize(int n) {
            this.contextSize = n;
            return this;
        }

        /** Requests answered at once, each on a sequence of {@link #contextSize} tokens (default 1). */
        public Builder parallel(int sequences) {
            this.parallel = sequences;
            return this;
        }

        /** Let the model think (default true); the reasoning goes to {@link AiMessage#thinking()}. */
        public Builder thinking(boolean on) {
            this.thinking = on;
            return this;
        }

        /** Most reasoning tokens before the reasoning is closed; -1 (default) for no limit. */
        public Builder reasoningBudget(int tokens) {
            this.reasoningBudget = tokens;
            return this;
        }

        /** The sampler (default DeepSeek-R1's); a request's temperature, top-p, top-k and penalties override it. */
        public Builder sampling(SamplerParams s) {
            this.sampling = Objects.requireNonNull(s, "sampling");
            return this;
        }

        /** The default tool choice of requests (e.g. for AiServices, which sets none itself). */
        public Builder toolChoice(ToolChoice c) {
            this.toolChoice = c;
            return this;
        }

        /** The default response format of requests. */
        public Builder responseFormat(ResponseFormat f) {
            this.responseFormat = f;
            return this;
        }

        /**
         * Whether tool choice REQUIRED applies after a tool result too (default false: only when the last message is a
         * user message, so that a tool loop ends with an answer).
         */
        public Builder requireToolsAfterToolResults(boolean on) {
            this.requireToolsAfterToolResults = on;
            return this;
        }

        public JseekChatModel build() {
            return new JseekChatModel(this);
        }
    }
}
