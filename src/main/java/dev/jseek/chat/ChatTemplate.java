package dev.jseek.chat;

import dev.jseek.Backend;
import dev.jseek.JseekException;
import dev.jseek.Model;
import dev.jseek.models.TemplateText;

import dev.jseek.bindings.llama.llama_chat_message;
import dev.jseek.bindings.llama.llama_h;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A chat template, in one of two kinds:
 * <ul>
 * <li><b>Jinja</b> (the default for a model that carries a template, or a template file): the model's own
 * template evaluated by llama.cpp's common chat library exactly as llama-server does, with thinking switches,
 * reasoning effort, tools and tool calls ({@link JinjaTemplates}, used through {@link JinjaPrompt});</li>
 * <li><b>built-in</b> (chosen by name, e.g. {@code deepseek3}): llama.cpp's {@code llama_chat_apply_template},
 * which knows llama.cpp's built-in families only.</li>
 * </ul>
 * Either way the prompt is split into template text and message content, so that only the template can place
 * control tokens: content is tokenized as plain text even if it contains {@code <｜User｜>} or {@code </think>}.
 * A Jinja template holds native memory: close it (a session closes the one it made itself).
 */
public final class ChatTemplate implements AutoCloseable {
    /** Marks where message content goes; control characters no template or user text produces by accident. */
    private static final String SENTINEL = "\u0002jseek-content-";
    private static final String SENTINEL_END = "\u0003";

    /**
     * Built-in names whose family opens every reply inside a reasoning block: llama.cpp's "deepseek3" is the
     * family of R1 (and V3, which answers after an empty block just as well: use --no-think for it).
     */
    private static final Set<String> THINKING_NAMES = Set.of("deepseek3");

    /** The built-in template's name or text for llama_chat_apply_template; null for a Jinja template. */
    private final String template;
    /** The Jinja templates; null for a built-in one. */
    private final JinjaTemplates jinja;
    private final String description;
    private final boolean prefillsThinking;

    private ChatTemplate(String template, JinjaTemplates jinja, String description, boolean prefillsThinking) {
        this.template = template;
        this.jinja = jinja;
        this.description = description;
        this.prefillsThinking = prefillsThinking;
    }

    /** The model's own template (tokenizer.chat_template), as Jinja; fails clearly if it has none. */
    public static ChatTemplate of(Model model) {
        String source = model.chatTemplate()
                .orElseThrow(() -> new JseekException("The model " + model.path() + " has no chat template; choose one by name, e.g. "
                        + "--template deepseek3 (the list: " + String.join(", ", builtinNames()) + "), or give a Jinja file."));
        return new ChatTemplate(null, JinjaTemplates.of(model), "the template of " + model.path().getFileName(),
                TemplateText.prefillsThinking(source));
    }

    /**
     * A Jinja template's source (e.g. a file's text), evaluated with the model's BOS/EOS tokens.
     *
     * @param description names it in errors, e.g. "the template file v4.jinja"
     */
    public static ChatTemplate jinja(Model model, String source, String description) {
        return new ChatTemplate(null, JinjaTemplates.of(model, source, description), description, TemplateText.prefillsThinking(source));
    }

    /** The model's template through llama.cpp's C-API renderer (built-in families only), as before Jinja. */
    public static ChatTemplate builtinOf(Model model) {
        return model.chatTemplate().map(t -> new ChatTemplate(t, null, "the template of " + model.path().getFileName(), TemplateText.prefillsThinking(t)))
                .orElseThrow(() -> new JseekException("The model " + model.path() + " has no chat template; choose one by name."));
    }

    /** Whether this is a Jinja template (llama.cpp's common chat library) rather than a built-in one. */
    public boolean isJinja() {
        return jinja != null;
    }

    /** The Jinja templates; only for {@link #isJinja()}. */
    JinjaTemplates jinja() {
        if (jinja == null) {
            throw new IllegalStateException(description + " is a built-in template, not Jinja");
        }
        return jinja;
    }

    /** What the template can do (thinking switch, reasoning effort levels, tools); a built-in one does none of it. */
    public TemplateFeatures features() {
        return jinja == null ? TemplateFeatures.NONE : TemplateFeatures.of(jinja);
    }

    @Override
    public void close() {
        if (jinja != null) {
            jinja.close();
        }
    }

    /** A built-in template by name, e.g. "deepseek3" for DeepSeek-V3/R1 or "deepseek2" for V2. */
    public static ChatTemplate named(String name) {
        if (!builtinNames().contains(name)) {
            throw new IllegalArgumentException("unknown chat template '" + name + "'; known: " + String.join(", ", builtinNames()));
        }
        return new ChatTemplate(name, null, "the built-in template '" + name + "'", THINKING_NAMES.contains(name));
    }

    /** Names llama.cpp's built-in templates answer to. */
    public static List<String> builtinNames() {
        Backend.get();
        try (Arena arena = Arena.ofConfined()) {
            int n = llama_h.llama_chat_builtin_templates(MemorySegment.NULL, 0);
            MemorySegment names = arena.allocate(ValueLayout.ADDRESS, n);
            llama_h.llama_chat_builtin_templates(names, n);
            List<String> result = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                result.add(names.getAtIndex(ValueLayout.ADDRESS, i).reinterpret(Long.MAX_VALUE).getString(0));
            }
            return result;
        }
    }

    /**
     * Whether the template starts every assistant turn inside a reasoning block (DeepSeek-R1's templates end the
     * prompt with {@code <think>\n}); the model then only emits {@code </think>}. llama.cpp's built-in renderer
     * does not add that prefill itself, so the session does.
     */
    public boolean prefillsThinking() {
        return prefillsThinking;
    }

    /** One piece of a formatted prompt: template text (may hold control tokens) or message content (never does). */
    public record Segment(String text, boolean content) {
    }

    /** Formats the messages; with {@code addAssistant} the result ends where the assistant's reply begins. */
    public List<Segment> apply(List<ChatMessage> messages, boolean addAssistant) {
        if (jinja != null) {
            throw new IllegalStateException(description + " is Jinja: sessions render it through JinjaPrompt");
        }
        List<Segment> segments = split(render(messages, addAssistant), messages);
        if (segments == null) {
            throw new JseekException(description + " repeats, loses or garbles message markers; it cannot be used safely.");
        }
        return segments;
    }

    /** What stands in for message {@code index}'s content when a template renders, so that it can be found. */
    static String marker(int index) {
        return SENTINEL + index + SENTINEL_END;
    }

    /**
     * Splits a prompt rendered with {@link #marker}s into template text and the messages' content; null when the
     * markers are not each message's once, whole and in range (the template repeated, cut or invented one).
     */
    static List<Segment> split(String marked, List<ChatMessage> messages) {
        List<Segment> segments = new ArrayList<>();
        boolean[] seen = new boolean[messages.size()];
        int at = 0;
        for (int start; (start = marked.indexOf(SENTINEL, at)) >= 0; ) {
            int end = marked.indexOf(SENTINEL_END, start);
            if (end < 0) {
                return null;
            }
            int index;
            try {
                index = Integer.parseInt(marked.substring(start + SENTINEL.length(), end));
            } catch (NumberFormatException e) {
                return null;
            }
            if (index < 0 || index >= messages.size() || seen[index]) {
                return null;
            }
            seen[index] = true;
            if (start > at) {
                segments.add(new Segment(marked.substring(at, start), false));
            }
            segments.add(new Segment(messages.get(index).content(), true));
            at = end + SENTINEL_END.length();
        }
        if (at < marked.length()) {
            segments.add(new Segment(marked.substring(at), false));
        }
        return segments;
    }

    /** The prompt as one string (for display and tests; sessions tokenize the segments). */
    public String format(List<ChatMessage> messages, boolean addAssistant) {
        StringBuilder b = new StringBuilder();
        apply(messages, addAssistant).forEach(s -> b.append(s.text()));
        return b.toString();
    }

    private String render(List<ChatMessage> messages, boolean addAssistant) {
        Backend.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment chat = llama_chat_message.allocateArray(messages.size(), arena);
            long contentBytes = 0;
            for (int i = 0; i < messages.size(); i++) {
                MemorySegment m = llama_chat_message.asSlice(chat, i);
                llama_chat_message.role(m, arena.allocateFrom(messages.get(i).role().wireName()));
                llama_chat_message.content(m, arena.allocateFrom(marker(i)));
                contentBytes += messages.get(i).content().getBytes(StandardCharsets.UTF_8).length;
            }
            MemorySegment tmpl = arena.allocateFrom(template);
            int capacity = (int) Math.min(Integer.MAX_VALUE, 4096 + 2 * contentBytes);
            MemorySegment buf = arena.allocate(capacity);
            int n = llama_h.llama_chat_apply_template(tmpl, chat, messages.size(), addAssistant, buf, capacity);
            if (n < 0) {
                throw new JseekException(description + " is not one llama.cpp can apply; choose a built-in one by name, e.g. deepseek3.");
            }
            if (n > capacity) {
                buf = arena.allocate(n);
                n = llama_h.llama_chat_apply_template(tmpl, chat, messages.size(), addAssistant, buf, n);
            }
            return new String(buf.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}
