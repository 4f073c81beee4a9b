package dev.jseek.chat;

import dev.jseek.Grammar;
import dev.jseek.JseekException;
import dev.jseek.internal.ChatBridge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Renders a conversation through a Jinja template as llama-server does: the request is the OpenAI body
 * llama-server would get (messages, tools, tool_choice, {@code enable_thinking}, {@code reasoning_effort}), and
 * the result carries llama.cpp's prompt, its output parser and its tool-call grammar.
 */
final class JinjaPrompt {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JinjaPrompt() {
    }

    /**
     * One rendered prompt.
     *
     * @param prompt        the text exactly as llama-server's /apply-template returns it (plus {@link ReasoningParser#FORCED_CLOSE}
     *                      for an R1-style template with thinking off)
     * @param segments      the prompt split into template text and message content; null when the template
     *                      transforms content so that its place cannot be found (then {@code prompt} is tokenized whole)
     * @param parserParams  llama.cpp's output parser for this prompt (for {@link JinjaTemplates#parse})
     * @param opensThinking the prompt ends inside an open reasoning block
     * @param toolGrammar   the answer's tool-call grammar: for "required" rooted at the template's call block; for "auto"
     *                      llama.cpp's lazy one, which waits for the call to open
     * @param stops         extra stop strings the template's format asks for
     */
    record Rendered(String prompt, List<ChatTemplate.Segment> segments, String parserParams, boolean opensThinking,
                    Grammar toolGrammar, List<String> stops) {
    }

    /** The request body llama-server would get for these messages and options. */
    static ObjectNode request(List<ChatMessage> messages, ReplyOptions options, boolean sentinels) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode list = body.putArray("messages");
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            ObjectNode o = list.addObject();
            o.put("role", m.role().wireName());
            o.put("content", sentinels ? ChatTemplate.marker(i) : m.content());
            if (!m.toolCalls().isEmpty()) {
                ArrayNode calls = o.putArray("tool_calls");
                for (ToolCall c : m.toolCalls()) {
                    ObjectNode call = calls.addObject();
                    call.put("type", "function");
                    call.put("id", c.id());
                    ObjectNode f = call.putObject("function");
                    f.put("name", c.name());
                    f.put("arguments", c.arguments());
                }
            }
            if (!m.toolCallId().isEmpty()) {
                o.put("tool_call_id", m.toolCallId());
            }
        }
        if (options.tools() != null) {
            body.set("tools", options.tools().tools());
            body.put("tool_choice", options.tools().choice().wireName());
            if (options.tools().parallel() != null) {
                body.put("parallel_tool_calls", options.tools().parallel());
            }
        }
        body.putObject("chat_template_kwargs").put("enable_thinking", options.thinking());
        if (options.reasoningEffort() != null) {
            body.put("reasoning_effort", options.reasoningEffort());
        }
        return body;
    }

    static Rendered render(JinjaTemplates jinja, java.util.function.Supplier<TemplateFeatures> featuresOf, List<ChatMessage> messages,
                           ReplyOptions options) {
        TemplateFeatures features = options.reasoningEffort() == null ? null : featuresOf.get();
        if (features != null && !features.reasoningEfforts().contains(options.reasoningEffort())) {
            throw new ChatInputException(ChatInputException.Kind.UNKNOWN_REASONING_EFFORT, "Reasoning effort '"
                    + options.reasoningEffort() + "' is not one " + jinja + " knows; "
                    + (features.reasoningEfforts().isEmpty() ? "it has no reasoning-effort levels, so leave the reasoning effort out."
                    : "use one of: " + String.join(", ", features.reasoningEfforts()) + "."));
        }
        JsonNode real = read(apply(jinja, request(messages, options, false).toString()));
        String prompt = real.path("prompt").asText();
        String generationPrompt = real.path("generation_prompt").asText();
        String startTag = real.path("thinking_start_tag").asText();
        boolean opens = !startTag.isEmpty() && generationPrompt.stripTrailing().endsWith(startTag.strip());
        // thinking off, yet the template left the block open (R1's have no switch): jseek closes it
        boolean closed = opens && !options.thinking();
        if (closed) {
            prompt += ReasoningParser.FORCED_CLOSE;
            opens = false;
        }
        List<ChatTemplate.Segment> segments = segments(jinja, messages, options, prompt);

        ObjectNode parser = JSON.createObjectNode();
        parser.put("format", real.path("format").asInt());
        parser.put("parser", real.path("parser").asText());
        parser.put("generation_prompt", generationPrompt);
        parser.put("reasoning_format", "deepseek");
        parser.put("parse_tool_calls", real.path("parse_tool_calls").asBoolean(false));
        // the block jseek closed belongs to the reply as llama.cpp's parser reads it (after the generation prompt)
        parser.put("jseek_prefix", closed ? ReasoningParser.FORCED_CLOSE : "");

        Grammar toolGrammar = null;
        if (options.tools() != null && options.tools().choice() == ChatTools.Choice.REQUIRED) {
            toolGrammar = requiredCall(jinja, real.path("grammar").asText());
        } else if (options.tools() != null && options.tools().choice() == ChatTools.Choice.AUTO && options.grammar() == null) {
            toolGrammar = lazyCall(real);
        }
        List<String> stops = new ArrayList<>();
        real.path("stop").forEach(s -> stops.add(s.asText()));
        return new Rendered(prompt, segments, parser.toString(), opens, toolGrammar, stops);
    }

    /**
     * Renders again with every message's content replaced by a marker, to find where content lies in the prompt.
     * Returns null when putting the content back does not give the real prompt (the template transformed it).
     */
    private static List<ChatTemplate.Segment> segments(JinjaTemplates jinja, List<ChatMessage> messages, ReplyOptions options,
                                                       String prompt) {
        String marked = read(apply(jinja, request(messages, options, true).toString())).path("prompt").asText();
        if (prompt.endsWith(ReasoningParser.FORCED_CLOSE) && !marked.endsWith(ReasoningParser.FORCED_CLOSE)) {
            marked += ReasoningParser.FORCED_CLOSE;
        }
        List<ChatTemplate.Segment> segments = ChatTemplate.split(marked, messages);
        if (segments == null) {
            return null;
        }
        StringBuilder rebuilt = new StringBuilder();
        segments.forEach(s -> rebuilt.append(s.text()));
        return rebuilt.toString().equals(prompt) ? segments : null;
    }

    /**
     * llama.cpp's grammar for a required call starts at the assistant marker and lets free text come before the
     * call, so a model that never starts one is never made to (0 of 3 seeds on the tiny models). jseek samples the
     * reasoning freely and starts the answer in the template's own call rule instead.
     */
    private static Grammar requiredCall(JinjaTemplates jinja, String grammar) {
        String rule = hasRule(grammar, "tool-calls") ? "tool-calls" : hasRule(grammar, "tool-call") ? "tool-call" : null;
        if (rule == null) {
            throw new ChatInputException(ChatInputException.Kind.TOOL_CHOICE_UNENFORCEABLE, jinja
                    + ": llama.cpp's tool-call grammar for this template has no tool-call rule, so tool choice 'required' "
                    + "cannot be enforced; use tool choice 'auto'.");
        }
        return new Grammar(grammar + "\njseek-required ::= [ \\t\\n]{0,4} " + rule + "\n", "jseek-required");
    }

    /**
     * With tool choice auto, llama.cpp's grammar is lazy: free text until the template's call opens (a trigger),
     * then the call's rules. Its triggers become the sampler's as common_sampler_init makes them: a word is
     * regex-escaped, a full pattern anchored, a token kept as a token. Null when llama.cpp gives no lazy grammar.
     */
    private static Grammar lazyCall(JsonNode rendered) {
        String grammar = rendered.path("grammar").asText();
        if (grammar.isEmpty() || !rendered.path("grammar_lazy").asBoolean()) {
            return null;
        }
        List<String> patterns = new ArrayList<>();
        List<Integer> tokens = new ArrayList<>();
        for (JsonNode t : rendered.path("grammar_triggers")) {
            String value = t.path("value").asText();
            switch (t.path("type").asInt()) {
                case 0 -> tokens.add(t.path("token").asInt()); // COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN
                case 1 -> patterns.add(REGEX_SPECIAL.matcher(value).replaceAll("\\\\$0")); // WORD
                case 2 -> patterns.add(value); // PATTERN
                case 3 -> patterns.add(value.isEmpty() ? "^$" // PATTERN_FULL
                        : (value.startsWith("^") ? "" : "^") + value + (value.endsWith("$") ? "" : "$"));
                default -> throw new IllegalStateException("unknown grammar trigger type " + t.path("type").asInt());
            }
        }
        return patterns.isEmpty() && tokens.isEmpty() ? null : Grammar.lazy(grammar, patterns, tokens);
    }

    /** common.cpp's regex_escape: the characters ECMAScript regular expressions treat as special. */
    private static final Pattern REGEX_SPECIAL = Pattern.compile("[.^$|()*+?\\[\\]{}\\\\]");

    private static boolean hasRule(String grammar, String name) {
        return Pattern.compile("(?m)^" + Pattern.quote(name) + " ::=").matcher(grammar).find();
    }

    /** The template's rendering; its refusal of a conversation is the caller's to fix. */
    private static String apply(JinjaTemplates jinja, String request) {
        try {
            return jinja.apply(request);
        } catch (ChatInputException e) {
            throw e;
        } catch (JseekException e) {
            throw new ChatInputException(ChatInputException.Kind.TEMPLATE_REFUSED, e.getMessage(), e);
        }
    }

    /** Parses a reply (complete, or partial while streaming) with llama.cpp's parser for the rendered format. */
    static Parsed parse(String parserParams, String text, boolean partial) {
        ObjectNode p = (ObjectNode) read(parserParams);
        String prefix = p.path("jseek_prefix").asText();
        p.remove("jseek_prefix");
        p.put("partial", partial);
        JsonNode msg = read(JinjaTemplates.parse(p.toString(), prefix + text));
        List<ToolCall> calls = new ArrayList<>();
        int n = 0;
        for (JsonNode c : msg.path("tool_calls")) {
            String id = c.path("id").asText();
            calls.add(new ToolCall(c.path("name").asText(), c.path("arguments").asText(), id.isEmpty() ? "call_" + n : id));
            n++;
        }
        return new Parsed(msg.path("reasoning_content").asText(), msg.path("content").asText(), calls);
    }

    /** A parsed reply. */
    record Parsed(String reasoning, String content, List<ToolCall> toolCalls) {
    }

    private static JsonNode read(String json) {
        return ChatBridge.read(json);
    }
}
