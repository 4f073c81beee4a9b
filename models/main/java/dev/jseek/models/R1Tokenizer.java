package dev.jseek.models;

import dev.jseek.gguf.GgufArray;
import dev.jseek.gguf.GgufFormatException;
import dev.jseek.gguf.GgufMetadata;
import dev.jseek.gguf.GgufValue;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;

/**
 * The {@code tokenizer.*} metadata of a DeepSeek vocabulary GGUF, extended into an R1 tokenizer: the chat
 * markers the R1 template emits are appended as control tokens, and the R1 chat template is set.
 */
final class R1Tokenizer {
    static final String PREFIX = "tokenizer.";
    static final String TOKENS = "tokenizer.ggml.tokens";
    static final String TOKEN_TYPES = "tokenizer.ggml.token_type";
    static final String SCORES = "tokenizer.ggml.scores";
    static final String CHAT_TEMPLATE = "tokenizer.chat_template";

    /** llama_token_type LLAMA_TOKEN_TYPE_CONTROL: matched whole with parse_special, not printed by default. */
    static final int CONTROL = 3;

    // U+FF5C FULLWIDTH VERTICAL LINE, as in DeepSeek's own special tokens
    static final String USER = "<\uFF5CUser\uFF5C>";
    static final String ASSISTANT = "<\uFF5CAssistant\uFF5C>";
    static final String THINK = "<think>";
    static final String END_THINK = "</think>";
    static final List<String> CHAT_MARKERS = List.of(USER, ASSISTANT, THINK, END_THINK);

    /** DeepSeek-R1's template (as in its tokenizer_config.json), from llama.cpp models/templates. */
    private static final String TEMPLATE_RESOURCE = "deepseek-r1.jinja";

    private R1Tokenizer() {
    }

    /**
     * @param metadata   every {@code tokenizer.*} pair of the vocab, extended, in the vocab's order
     * @param tokenCount the vocabulary size after extension: rows of token_embd and output
     */
    record Extended(SequencedMap<String, GgufValue> metadata, int tokenCount) {
    }

    static Extended extend(GgufMetadata vocab) throws GgufFormatException {
        return extend(vocab, CHAT_MARKERS, TEMPLATE_RESOURCE);
    }

    /**
     * As {@link #extend(GgufMetadata)} with other markers and template: the R1-Distill releases add DeepSeek's
     * markers to a Qwen or Llama vocabulary and ship their own template.
     *
     * @param templateResource a Jinja file beside this class in the jseek-models jar
     */
    static Extended extend(GgufMetadata vocab, List<String> markers, String templateResource) throws GgufFormatException {
        List<String> tokens = new ArrayList<>(vocab.getStringArray(TOKENS));
        int originalCount = tokens.size();
        int[] types = vocab.contains(TOKEN_TYPES) ? vocab.getIntArray(TOKEN_TYPES) : null;
        float[] scores = vocab.contains(SCORES) ? vocab.getFloatArray(SCORES) : null;
        requireLength(vocab, TOKEN_TYPES, types, originalCount);
        requireLength(vocab, SCORES, scores, originalCount);

        // a marker the vocab already has keeps its id: llama.cpp requires token texts to be unique
        List<String> added = markers.stream().filter(m -> !tokens.contains(m)).toList();
        tokens.addAll(added);
        int count = tokens.size();

        var metadata = new LinkedHashMap<String, GgufValue>();
        for (var entry : vocab.asMap().entrySet()) {
            if (entry.getKey().startsWith(PREFIX)) {
                metadata.put(entry.getKey(), entry.getValue());
            }
        }
        metadata.put(TOKENS, GgufArray.ofStrings(tokens));
        if (types != null) {
            int[] extended = Arrays.copyOf(types, count);
            Arrays.fill(extended, originalCount, count, CONTROL);
            metadata.put(TOKEN_TYPES, GgufArray.ofInt32(extended));
        } else {
            // without a type array every token is NORMAL; the markers must be CONTROL to be matched whole
            int[] extended = new int[count];
            Arrays.fill(extended, 0, originalCount, 1);
            Arrays.fill(extended, originalCount, count, CONTROL);
            metadata.put(TOKEN_TYPES, GgufArray.ofInt32(extended));
        }
        if (scores != null) {
            metadata.put(SCORES, GgufArray.ofFloat32(Arrays.copyOf(scores, count)));
        }
        metadata.put(CHAT_TEMPLATE, new GgufValue.Str(chatTemplate(templateResource)));
        return new Extended(metadata, count);
    }

    static String chatTemplate() {
        return chatTemplate(TEMPLATE_RESOURCE);
    }

    static String chatTemplate(String resource) {
        try (InputStream in = R1Tokenizer.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is missing from the jseek-models jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read resource " + resource, e);
        }
    }

    private static void requireLength(GgufMetadata vocab, String key, Object array, int tokenCount)
            throws GgufFormatException {
        int length = switch (array) {
            case null -> tokenCount;
            case int[] a -> a.length;
            case float[] a -> a.length;
            default -> throw new IllegalArgumentException();
        };
        if (length != tokenCount) {
            throw new GgufFormatException(vocab.source() + " has " + length + " entries in '" + key + "' but "
                    + tokenCount + " tokens.");
        }
    }
}
