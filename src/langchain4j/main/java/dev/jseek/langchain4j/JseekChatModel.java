package dev.jseek.langchain4j;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jseek.ContextParams;
import dev.jseek.Generator;
import dev.jseek.Grammar;
import dev.jseek.JinjaTemplates;
import dev.jseek.Model;
import dev.jseek.SamplerParams;
import dev.jseek.chat.ChatListener;
import dev.jseek.chat.ChatOptions;
import dev.jseek.chat.ChatSession;
import dev.jseek.chat.ChatTemplate;
import dev.jseek.chat.ChatTools;
import dev.jseek.chat.ChatTurn;
import dev.jseek.chat.ToolCall;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.internal.JsonSchemaElementJsonUtils;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialThinking;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * LangChain4j's {@link ChatModel} and {@link StreamingChatModel} over a jseek {@link Model}, in process (no HTTP).
 *
 * <p>Each request runs in a new {@link ChatSession} (its own context), closed after it: the model may be shared by
 * threads, and so may this object. The model, and the template when one is given, belong to the caller, who closes
 * them after this object's last use.
 *
 * <p>Mapping: system, user (text only), AI (text and tool execution requests) and tool-result messages become the
 * session's history; the last message must be a user message or a tool result. Tool specifications become OpenAI
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
 * try (Model model = Model.load(Path.of("DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf"), ModelParams.defaults())) {
 *     JseekChatModel chat = JseekChatModel.builder().model(model).maxTokens(1024).build();
 *     ChatResponse r = chat.chat(ChatRequest.builder().messages(UserMessage.from("Why is the sky blue?")).build());
 *     System.out.println(r.aiMessage().thinking() + "\n---\n" + r.aiMessage().text());
 * }
 * }</pre>
 *
 * <p>Streaming runs on the calling thread: {@code chat(request, handler)} returns after
 * {@link StreamingChatResponseHandler#onCompleteResponse} or {@link StreamingChatResponseHandler#onError}, exactly
 * one of which is called; no exception escapes it.
 */
public final class JseekChatModel implements ChatModel, StreamingChatModel {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Model model;
    private final ChatTemplate template;
    private final ChatOptions base;
    private final ChatRequestParameters defaults;
    private final boolean requireToolsAfterToolResults;

    private JseekChatModel(Builder b) {
        this.model = Objects.requireNonNull(b.model, "model");
        this.template = b.template;
        this.base = ChatOptions.defaults().withTemplate(b.template)
                .withContext(ContextParams.defaults().withContextSize(b.contextSize))
                .withSampling(b.sampling).withMaxTokens(b.maxTokens).withThinking(b.thinking)
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

    private ChatResponse run(ChatRequest request, ChatListener listener) {
        List<ChatMessage> messages = request.messages();
        if (messages.isEmpty()) {
            throw new IllegalArgumentException("a chat request needs at least one message");
        }
        List<dev.jseek.chat.ChatMessage> history = new ArrayList<>();
        for (ChatMessage m : messages) {
            history.add(toJseek(m));
        }
        dev.jseek.chat.ChatMessage last = history.removeLast();
        ChatRequestParameters p = request.parameters();
        ChatOptions options = options(p, messages.getLast() instanceof UserMessage);
        try (ChatSession session = new ChatSession(model, options)) {
            session.restoreHistory(history);
            ChatTurn turn = session.send(last, listener);
            return response(turn);
        }
    }

    ChatOptions options(ChatRequestParameters p, boolean userTurn) {
        ChatOptions o = base;
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
            o = o.withTools(ChatTools.parse(toolsJson(p.toolSpecifications()), "LangChain4j tool specifications", choice)
                    .withParallel(false));
        }
        o = o.withGrammar(grammar(p.responseFormat()));
        return o;
    }

    private static Grammar grammar(ResponseFormat format) {
        if (format == null || format.type() != ResponseFormatType.JSON) {
            return null;
        }
        if (format.jsonSchema() == null || format.jsonSchema().rootElement() == null) {
            return Grammar.json();
        }
        return Grammar.of(JinjaTemplates.schemaToGrammar(schemaJson(format.jsonSchema().rootElement())));
    }

    private static String schemaJson(dev.langchain4j.model.chat.request.json.JsonSchemaElement element) {
        try {
            return JSON.writeValueAsString(JsonSchemaElementJsonUtils.toMap(element));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write the JSON schema: " + e.getMessage(), e);
        }
    }

    /** Tool specifications as OpenAI function tools, the array {@link ChatTools#parse} reads. */
    static String toolsJson(List<ToolSpecification> specs) {
        ArrayNode tools = JSON.createArrayNode();
        for (ToolSpecification spec : specs) {
            ObjectNode function = JSON.createObjectNode();
            function.put("name", spec.name());
            if (spec.description() != null) {
                function.put("description", spec.description());
            }
            JsonObjectSchema parameters = spec.parameters();
            try {
                function.set("parameters", parameters == null
                        ? JSON.readTree("{\"type\": \"object\", \"properties\": {}}")
                        : JSON.readTree(schemaJson(parameters)));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalArgumentException("cannot read the parameters of tool " + spec.name() + ": " + e.getMessage(), e);
            }
            ObjectNode tool = JSON.createObjectNode();
            tool.put("type", "function");
            tool.set("function", function);
            tools.add(tool);
        }
        return tools.toString();
    }

    static dev.jseek.chat.ChatMessage toJseek(ChatMessage m) {
        return switch (m) {
            case SystemMessage s -> dev.jseek.chat.ChatMessage.system(s.text());
            case UserMessage u -> dev.jseek.chat.ChatMessage.user(userText(u));
            case AiMessage a -> {
                List<ToolCall> calls = new ArrayList<>();
                if (a.hasToolExecutionRequests()) {
                    for (ToolExecutionRequest r : a.toolExecutionRequests()) {
                        calls.add(new ToolCall(r.name(), r.arguments() == null ? "{}" : r.arguments(), r.id() == null ? "" : r.id()));
                    }
                }
                yield dev.jseek.chat.ChatMessage.assistant(a.text() == null ? "" : a.text(), calls);
            }
            case ToolExecutionResultMessage t -> dev.jseek.chat.ChatMessage.tool(t.id() == null ? "" : t.id(), t.text());
            default -> throw new IllegalArgumentException("jseek cannot send a " + m.type() + " message");
        };
    }

    private static String userText(UserMessage u) {
        StringBuilder text = new StringBuilder();
        for (Content c : u.contents()) {
            if (!(c instanceof TextContent t)) {
                throw new IllegalArgumentException("jseek reads text only, not " + c.type() + " content");
            }
            text.append(t.text());
        }
        return text.toString();
    }

    static ChatResponse response(ChatTurn turn) {
        List<ToolExecutionRequest> requests = new ArrayList<>();
        for (ToolCall call : turn.toolCalls()) {
            requests.add(ToolExecutionRequest.builder().id(call.id()).name(call.name()).arguments(call.arguments()).build());
        }
        AiMessage.Builder ai = AiMessage.builder()
                .text(requests.isEmpty() || !turn.answer().isBlank() ? turn.answer() : null)
                .thinking(turn.reasoning().isEmpty() ? null : turn.reasoning());
        if (!requests.isEmpty()) {
            ai.toolExecutionRequests(requests);
        }
        int generated = turn.stats().generatedTokens();
        return ChatResponse.builder()
                .aiMessage(ai.build())
                .tokenUsage(new TokenUsage(turn.stats().promptTokens(), generated, turn.stats().promptTokens() + generated))
                .finishReason(finishReason(turn))
                .build();
    }

    private static FinishReason finishReason(ChatTurn turn) {
        if (!turn.toolCalls().isEmpty()) {
            return FinishReason.TOOL_EXECUTION;
        }
        return switch (turn.stop()) {
            case END_OF_GENERATION, STOPPED -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    /** Settings of a {@link JseekChatModel}; only the model is required. */
    public static final class Builder {
        private Model model;
        private ChatTemplate template;
        private int maxTokens = 2048;
        private int contextSize = ContextParams.defaults().contextSize();
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

        /** The context of each request's session, in tokens (default: jseek's, 4096). */
        public Builder contextSize(int n) {
            this.contextSize = n;
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
