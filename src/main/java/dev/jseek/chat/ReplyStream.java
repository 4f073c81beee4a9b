package dev.jseek.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jseek.Generator;
import dev.jseek.Grammar;
import dev.jseek.JseekException;

import java.util.ArrayList;
import java.util.List;

/**
 * One reply as it is generated, token by token: the reasoning/answer split, stop strings, the reasoning budget, the
 * answer streamed as llama.cpp's parser reads it when tools are offered, timings; and, at its end, what the reply
 * is (tool calls parsed by llama.cpp, the final stop reason). The same for a {@link ChatSession} turn and a
 * {@link ChatEngine} request, so both stream and finish a reply identically. Whoever decodes asks it, after each
 * token, whether to stop ({@link #stopRequested}): for a stop string, a spent budget, or the switch to the answer's
 * grammar.
 */
final class ReplyStream {
    /** Closes a reasoning block whose budget is spent. */
    static final String FORCED_CLOSE = "\n</think>\n\n";
    private static final ObjectMapper ARGUMENTS = new ObjectMapper();

    private final ChatListener listener;
    private final ChatOptions options;
    private final ChatPrompt.Built built;
    /** Stop at the end of reasoning, so the answer can be sampled with the grammar. */
    private boolean switchOnAnswer;
    private boolean forcedClose;
    private boolean budgetHit;
    private boolean stopRequested;
    final StringBuilder reasoning = new StringBuilder();
    final StringBuilder answer = new StringBuilder();
    /** Everything the model wrote (and jseek forced), for llama.cpp's parser. */
    final StringBuilder raw = new StringBuilder();
    /** llama.cpp's parser params when tools are offered: the answer is then streamed as it parses it. */
    private final String toolParser;
    /** The answer text streamed so far (with tools: llama.cpp's content, without the call blocks). */
    private final StringBuilder shownAnswer = new StringBuilder();
    final ReasoningParser parser;
    final StopStrings stops;
    int reasoningTokens;
    long firstTokenAt;
    private long reasoningStart;
    private long reasoningEnd;

    /**
     * @param grammarAfterReasoning the answer has a sampler of its own (a grammar) and the reply starts reasoning: stop
     *                              when the reasoning ends so that the decoder switches samplers
     */
    ReplyStream(ChatOptions options, ChatPrompt.Built built, ChatListener listener, boolean grammarAfterReasoning) {
        this.listener = listener;
        this.options = options;
        this.built = built;
        this.switchOnAnswer = grammarAfterReasoning;
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

    /** The grammar the answer is sampled under: a required or lazy tool call's, else the options' (null: free text). */
    static Grammar answerGrammar(ChatOptions options, ChatPrompt.Built built) {
        Grammar tool = built.rendered() == null ? null : built.rendered().toolGrammar();
        return tool != null ? tool : options.grammar();
    }

    /** Takes a generated token and the text it completed (token -1: the flush of a split UTF-8 character). */
    void onToken(int token, String text) {
        long now = System.nanoTime();
        if (token >= 0 && firstTokenAt == 0) {
            firstTokenAt = now;
        }
        raw.append(text);
        parser.push(text);
        if (stops.stopped()) {
            stopRequested = true;
        }
        if (parser.phase() == ReasoningParser.Phase.REASONING) {
            if (reasoningStart == 0) {
                reasoningStart = now;
            }
            if (token >= 0) {
                reasoningTokens++; // not the flush of a split UTF-8 character, which is no token
            }
            if (options.reasoningBudget() >= 0 && reasoningTokens >= options.reasoningBudget() && !budgetHit) {
                budgetHit = true;
                stopRequested = true;
            }
        } else if (reasoningStart != 0 && reasoningEnd == 0) {
            reasoningEnd = now;
        }
        if (switchOnAnswer && parser.phase() == ReasoningParser.Phase.ANSWER) {
            switchOnAnswer = false;
            stopRequested = true;
        }
    }

    /** Whether the last token asked the decoder to stop (and forgets that it did). */
    boolean stopRequested() {
        boolean r = stopRequested;
        stopRequested = false;
        return r;
    }

    /**
     * After a stop that does not end the reply (the reasoning ended and the answer has a sampler of its own, or the
     * reasoning budget is spent): returns what the decoder must decode before sampling again, the forced
     * {@code </think>} tokens ({@code closing}) or nothing, and from then on the answer is sampled with {@code answer}.
     * The penalties of a sampler that goes on see the forced tokens too.
     */
    int[] resume(dev.jseek.Sampler current, dev.jseek.Sampler answer, int[] closing) {
        switchOnAnswer = false;
        if (!budgetHit || forcedClose) {
            return new int[0];
        }
        forcedClose = true;
        parser.forceAnswer();
        raw.append(FORCED_CLOSE);
        if (current == answer) {
            for (int t : closing) {
                current.accept(t);
            }
        }
        return closing;
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

    long reasoningNanos(long end) {
        return reasoningStart == 0 ? 0 : (reasoningEnd == 0 ? end : reasoningEnd) - reasoningStart;
    }

    /** What a finished reply is. */
    record Outcome(String reasoning, String answer, List<ToolCall> calls, Generator.StopReason stop) {
    }

    /**
     * Ends the reply (held-back text is released) and reads it: tool calls by llama.cpp's parser for the template's
     * format. {@code decoderStop} is why decoding ended; STOPPED without a stop string (a budget or phase stop that
     * left no room to answer) is a max-tokens stop.
     */
    Outcome finish(Generator.StopReason decoderStop) {
        parser.finish();
        stops.finish();
        Generator.StopReason stop = decoderStop == Generator.StopReason.STOPPED && !stops.stopped()
                ? Generator.StopReason.MAX_TOKENS : decoderStop;
        String text = answer.toString();
        List<ToolCall> calls = List.of();
        if (built.rendered() != null && !stops.stopped()) {
            // Tool calls are llama.cpp's own parser's, for the template's format; so is the text beside them. The
            // reasoning/answer split of a reply without calls stays what was streamed (DeepSeek's <think> tags).
            try {
                // A reply cut by the token limit is read as llama-server reads a stream in progress (partial), without
                // the replacement character the decoder flushes for a split UTF-8 character: its finished calls count.
                boolean cut = stop != Generator.StopReason.END_OF_GENERATION;
                String all = cut ? raw.toString().replaceAll("\uFFFD+$", "") : raw.toString();
                JinjaPrompt.Parsed parsed = JinjaPrompt.parse(built.rendered().parserParams(), all, cut);
                calls = completeCalls(parsed.toolCalls());
                if (toolParser != null) {
                    text = parsed.content().stripLeading(); // as streamed: llama.cpp's content, calls left out
                }
            } catch (JseekException e) {
                listener.onNotice("llama.cpp's parser could not read this reply (" + e.getMessage() + "); it is kept as plain text.");
            }
        }
        return new Outcome(reasoning.toString(), text, calls, stop);
    }

    /**
     * The calls whose arguments are whole JSON: a reply that ran out of tokens inside a call leaves one with
     * arguments like "{", which no tool can run and the template refuses to render in the next turn.
     */
    private List<ToolCall> completeCalls(List<ToolCall> calls) {
        List<ToolCall> complete = new ArrayList<>();
        for (ToolCall c : calls) {
            try {
                JsonNode args = ARGUMENTS.readTree(c.arguments());
                if (args != null && args.isObject()) {
                    complete.add(c);
                    continue;
                }
            } catch (JsonProcessingException e) {
                // incomplete: told below
            }
            listener.onNotice("The reply ended inside a call of " + c.name() + " (its arguments are not whole JSON: "
                    + c.arguments() + "); the call was dropped. Allow more tokens per reply.");
        }
        return complete;
    }
}
