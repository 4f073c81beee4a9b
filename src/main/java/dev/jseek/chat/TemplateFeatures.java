package dev.jseek.chat;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a chat template can do, as llama.cpp's chat library reports it.
 *
 * @param jinja            whether the template is Jinja (a built-in one does none of the rest)
 * @param thinkingSwitch   the template turns thinking on and off ({@code enable_thinking}: V3.1, V3.2, V4)
 * @param alwaysThinks     the template opens every reply with {@code <think>} (R1, R1-Distill)
 * @param reasoningEfforts the levels the template compares {@code reasoning_effort} with (V4: high, max), plus
 *                         "none" (thinking off) where there is a switch
 * @param toolCalls        the template renders tool calls (llama.cpp's {@code supports_tool_calls})
 */
public record TemplateFeatures(boolean jinja, boolean thinkingSwitch, boolean alwaysThinks, List<String> reasoningEfforts,
                               boolean toolCalls) {
    static final TemplateFeatures NONE = new TemplateFeatures(false, false, false, List.of(), false);
    /** {@code reasoning_effort == 'max'}: llama.cpp passes the level to the template, which alone knows its names. */
    private static final Pattern EFFORT = Pattern.compile("reasoning_effort\\s*==\\s*['\"]([A-Za-z0-9_-]+)['\"]");

    public TemplateFeatures {
        reasoningEfforts = List.copyOf(reasoningEfforts);
    }

    /**
     * Asks llama.cpp: what the template says of itself, and how it renders one user message with thinking on and
     * off. A switch is a difference between the two; R1's templates give the same open {@code <think>} both ways
     * (although llama.cpp reports {@code supports_enable_thinking} for them).
     */
    static TemplateFeatures of(JinjaTemplates jinja) {
        JsonNode d = read(jinja.describe());
        JsonNode on = read(jinja.apply(probe(true)));
        JsonNode off = read(jinja.apply(probe(false)));
        String startTag = on.path("thinking_start_tag").asText();
        String generationOff = off.path("generation_prompt").asText().stripTrailing();
        boolean openWhenOff = !startTag.isEmpty() && generationOff.endsWith(startTag.strip());
        boolean thinkingSwitch = !on.path("prompt").asText().equals(off.path("prompt").asText());
        boolean alwaysThinks = !thinkingSwitch && openWhenOff;
        Set<String> efforts = new LinkedHashSet<>();
        Matcher m = EFFORT.matcher(d.path("source").asText());
        while (m.find()) {
            efforts.add(m.group(1));
        }
        List<String> levels = new ArrayList<>(efforts);
        if (thinkingSwitch) {
            levels.add("none");
        }
        return new TemplateFeatures(true, thinkingSwitch, alwaysThinks, levels,
                d.path("caps").path("supports_tool_calls").asBoolean());
    }

    private static String probe(boolean thinking) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"chat_template_kwargs\":{\"enable_thinking\":" + thinking + "}}";
    }

    private static JsonNode read(String json) {
        return dev.jseek.internal.ChatBridge.read(json);
    }

    /** One line for {@code jseek info}: the thinking controls and tool support. */
    public String summary() {
        if (!jinja) {
            return "built-in template: no thinking switch, no tool calls";
        }
        String thinking = thinkingSwitch ? "thinking on/off (enable_thinking)"
                : alwaysThinks ? "always thinks (<think> prefilled; jseek closes the block for --think off)" : "no thinking controls";
        String effort = reasoningEfforts.stream().anyMatch(e -> !e.equals("none"))
                ? "; reasoning effort: " + String.join(", ", reasoningEfforts) : "";
        return thinking + effort + "; tool calls: " + (toolCalls ? "yes" : "no");
    }
}
