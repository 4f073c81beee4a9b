package dev.jseek.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Generator.StopReason;
import dev.jseek.JseekException;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Turn}'s text as it grows: split into reasoning and answer, cut at stop strings, the answer streamed as
 * llama.cpp's parser reads it when tools are offered; and at the end what the reply is (tool calls read by
 * llama.cpp's parser for the template's format, a call the token limit cut off, the final stop reason).
 */
final class ReplyText {
    private static final ObjectMapper ARGUMENTS = new ObjectMapper();

    private final ChatListener listener;
    private final ChatPrompt.Built built;
    private final StringBuilder reasoning = new StringBuilder();
    private final StringBuilder answer = new StringBuilder();
    /** Everything the model wrote (and jseek forced), for llama.cpp's parser. */
    private final StringBuilder raw = new StringBuilder();
    /** llama.cpp's parser params when tools are offered: the answer is then streamed as it parses it. */
    private final String toolParser;
    /** The answer text streamed so far (with tools: llama.cpp's content, without the call blocks). */
    private final StringBuilder shownAnswer = new StringBuilder();
    private final ReasoningParser parser;
    private final StopStrings stops;

    ReplyText(ReplyOptions options, ChatPrompt.Built built, ChatListener listener) {
        this.listener = listener;
        this.built = built;
        List<String> stopStrings = new ArrayList<>(options.stopStrings());
        if (built.rendered() != null) {
            built.rendered().stops().stream().filter(s -> !stopStrings.contains(s)).forEach(stopStrings::add);
        }
        boolean toolsOffered = built.rendered() != null && options.tools() != null && options.tools().choice() != ChatTools.Choice.NONE;
        this.toolParser = toolsOffered ? built.rendered().parserParams() : null;
        this.stops = new StopStrings(stopStrings, text -> {
            answer.append(text);
            if (toolParser == null) {
                listener.onAnswer(text);
            } else {
                showParsedAnswer();
            }
        });
        this.parser = new ReasoningParser(built.opensThinking(), new ReasoningParser.Sink() {
            @Override
            public void reasoning(String text) {
                reasoning.append(text);
                listener.onReasoning(text);
            }

            @Override
            public void answer(String text) {
                stops.push(text);
            }
        });
    }

    void push(String text) {
        raw.append(text);
        parser.push(text);
    }

    /** Whether a stop string has ended the answer. */
    boolean stopped() {
        return stops.stopped();
    }

    ReasoningParser.Phase phase() {
        return parser.phase();
    }

    /** The reasoning is closed by jseek: what follows is answer. */
    void forceAnswer() {
        parser.forceAnswer();
        raw.append(ReasoningParser.FORCED_CLOSE);
    }

    /**
     * With tools offered, the answer is streamed as llama.cpp's parser reads the reply so far (as llama-server
     * streams it): text, but not the markup of a tool call, which the reply then reports as a call.
     */
    private void showParsedAnswer() {
        String content;
        try {
            content = JinjaPrompt.parse(toolParser, raw.toString(), true).content().stripLeading();
        } catch (JseekException e) {
            return; // not readable yet; the next token may make it so, and the reply's end decides
        }
        if (content.length() > shownAnswer.length() && content.startsWith(shownAnswer.toString())) {
            String delta = content.substring(shownAnswer.length());
            shownAnswer.append(delta);
            listener.onAnswer(delta);
        }
    }

    /**
     * What a finished reply is.
     *
     * @param partialCall a call the reply was still writing when it ended (its arguments are not whole JSON), or null
     */
    record Outcome(String reasoning, String answer, List<ToolCall> calls, ToolCall partialCall, StopReason stop) {
    }

    /**
     * Ends the reply (held-back text is released) and reads it: tool calls by llama.cpp's parser for the template's
     * format. {@code decoderStop} is why decoding ended; STOPPED without a stop string (a budget or phase stop that
     * left no room to answer) is a max-tokens stop.
     */
    Outcome finish(StopReason decoderStop) {
        parser.finish();
        stops.finish();
        StopReason stop = decoderStop == StopReason.STOPPED && !stops.stopped() ? StopReason.MAX_TOKENS : decoderStop;
        String text = answer.toString();
        List<ToolCall> calls = List.of();
        ToolCall partial = null;
        if (built.rendered() != null && !stops.stopped()) {
            // Tool calls are llama.cpp's own parser's, for the template's format; so is the text beside them. The
            // reasoning/answer split of a reply without calls stays what was streamed (DeepSeek's <think> tags).
            try {
                // A reply cut by the token limit is read as llama-server reads a stream in progress (partial), without
                // the replacement character the decoder flushes for a split UTF-8 character: its finished calls count.
                boolean cut = stop != StopReason.END_OF_GENERATION;
                String all = cut ? raw.toString().replaceAll("\uFFFD+$", "") : raw.toString();
                JinjaPrompt.Parsed parsed = JinjaPrompt.parse(built.rendered().parserParams(), all, cut);
                calls = new ArrayList<>();
                for (ToolCall c : parsed.toolCalls()) {
                    if (wholeArguments(c)) {
                        calls.add(c);
                    } else if (partial == null) {
                        partial = c;
                    }
                }
                if (toolParser != null) {
                    text = parsed.content().stripLeading(); // as streamed: llama.cpp's content, calls left out
                }
            } catch (JseekException e) {
                listener.onNotice("llama.cpp's parser could not read this reply (" + e.getMessage() + "); it is kept as plain text.");
            }
        }
        if (partial != null) {
            listener.onNotice("The reply ended inside a call of " + partial.name() + " (its arguments are not whole JSON: "
                    + partial.arguments() + "); the call was not made. Allow more tokens per reply.");
        }
        return new Outcome(reasoning.toString(), text, calls, partial, stop);
    }

    /**
     * Whether a call's arguments are whole JSON: a reply that ran out of tokens inside a call leaves one with arguments
     * like "{", which no tool can run and the template refuses to render in the next turn.
     */
    private static boolean wholeArguments(ToolCall c) {
        try {
            JsonNode args = ARGUMENTS.readTree(c.arguments());
            return args != null && args.isObject();
        } catch (JsonProcessingException e) {
            return false;
        }
    }
}
