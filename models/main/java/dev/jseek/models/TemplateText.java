package dev.jseek.models;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What a chat template's text says, in one place for {@code jseek info} (ModelFacts) and the chat layer
 * (ChatTemplate): which of llama.cpp's built-in families renders it, and whether it opens every reply inside a
 * reasoning block.
 */
public final class TemplateText {
    private TemplateText() {
    }

    /**
     * The family llama.cpp's llm_chat_detect_template picks, for the families jseek's users meet, tested in
     * llama.cpp's order (chatml and llama3 are checked before DeepSeek's markers). A template that is just a
     * built-in name ("deepseek3") is that name, as llama.cpp takes it.
     */
    public static String family(String t) {
        if (t == null) {
            return "none";
        }
        if (BUILTIN_NAMES.contains(t.strip())) {
            return t.strip();
        }
        if (t.contains("<|im_start|>")) {
            return t.contains("<|im_sep|>") || t.contains("<end_of_utterance>") ? "other" : "chatml";
        }
        if (t.contains("### Instruction:") && t.contains("<|EOT|>")) {
            return "deepseek";
        }
        if (t.contains("<|start_header_id|>") && t.contains("<|end_header_id|>")) {
            return "llama3";
        }
        if (t.contains("'Assistant: ' + message['content'] + eos_token")) {
            return "deepseek2";
        }
        if (t.contains("<｜Assistant｜>") && t.contains("<｜User｜>") && t.contains("<｜end▁of▁sentence｜>")) {
            return "deepseek3";
        }
        return "other";
    }

    private static final List<String> BUILTIN_NAMES = List.of("chatml", "llama3", "deepseek", "deepseek2", "deepseek3");

    /**
     * R1's templates open the assistant turn with {@code <｜Assistant｜><think>\n} (QwQ's with
     * {@code <|im_start|>assistant\n<think>\n}); V3.1's {@code <｜Assistant｜><think></think>} turns thinking off, and
     * Qwen3's {@code <think>\n} in past turns is no prefill.
     */
    private static final Pattern THINK_PREFILL =
            Pattern.compile("(<｜Assistant｜>|<\\|im_start\\|>assistant(\\\\n|\n))('\\s*\\+\\s*')?<think>(?!</think>)");

    /** Whether a chat template opens every assistant turn inside a reasoning block (one rule for info and chat). */
    public static boolean prefillsThinking(String t) {
        return THINK_PREFILL.matcher(t).find();
    }
}
