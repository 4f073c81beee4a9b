// jseek's C ABI over llama.cpp's common chat library; see jseek_chat.h.
//
// jseek_chat_apply follows tools/server/server-common.cpp's oaicompat_chat_params_parse of the pinned release
// statement for statement (media parts aside: jseek sends text only) with llama-server's default options, so
// that a prompt rendered here is the prompt llama-server's /apply-template returns for the same request.
// ChatTemplateCorpusTest checks that on every template the pinned source ships.
#include "jseek_chat.h"

#include "chat.h"
#include "json-schema-to-grammar.h"
#include "json.h"
#include "log.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>

using json = common_json;

struct jseek_chat {
    common_chat_templates_ptr templates;
    // llama-server's defaults: thinking on where the template supports it; preserve_reasoning=true (arg.cpp).
    bool enable_thinking = false;
    std::map<std::string, std::string> default_kwargs{{"preserve_reasoning", "true"}};
};

// llama.cpp's common library logs through its own logger, which writes info lines to stdout: that would mix
// into jseek's results (--print-prompt, --json). jseek reports failures through the exceptions instead.
// Shared with jseek_fit.cpp (not part of the C ABI).
void jseek_quiet_common_log() {
    static std::once_flag once;
    std::call_once(once, [] { common_log_pause(common_log_main()); });
}

namespace {

// common_chat_templates_init logs a template's parse error and rethrows a sliced std::exception ("std::exception");
// parsing the source first gives the parser's own message.
void check_parses(const std::string & source) {
    common_chat_template probe(source, "", "");
    (void) probe;
}

char * copy_out(const std::string & s) {
    char * out = static_cast<char *>(std::malloc(s.size() + 1));
    if (out != nullptr) {
        std::memcpy(out, s.data(), s.size());
        out[s.size()] = '\0';
    }
    return out;
}

char * error_result(const std::string & message) {
    json out = json::object();
    out["error"] = message;
    return copy_out(out.dump_safe());
}

template <typename F> char * guarded(F && body) {
    try {
        return copy_out(body());
    } catch (const std::exception & e) {
        return error_result(e.what());
    } catch (...) {
        return error_result("unknown error in llama.cpp's chat library");
    }
}

// server-common.h's json_value: a missing or null key (or a value of the wrong type) gives the default.
template <typename T> T json_value(const json & body, const std::string & key, const T & default_value) {
    if (body.contains(key) && !body.at(key).is_null()) {
        try {
            return body.at(key).get<T>();
        } catch (const common_json_error &) {
            return default_value;
        }
    }
    return default_value;
}

json apply(const jseek_chat & chat, json body) {
    json out = json::object();

    auto tools       = json_value(body, "tools", json());
    auto tool_choice = json_value(body, "tool_choice", std::string("auto"));

    if (body.contains("stop") && body.at("stop").is_string()) {
        out["stop"] = json::array({body.at("stop").get<std::string>()});
    } else {
        out["stop"] = json_value(body, "stop", json::array());
    }

    auto json_schema = json_value(body, "json_schema", json());
    auto grammar     = json_value(body, "grammar", std::string());
    if (!json_schema.is_null() && !grammar.empty()) {
        throw std::runtime_error("Cannot use both json_schema and grammar");
    }
    if (body.contains("response_format")) {
        json response_format      = json_value(body, "response_format", json::object());
        std::string response_type = json_value(response_format, "type", std::string());
        if (response_type == "json_object") {
            if (response_format.contains("schema") || json_schema.empty()) {
                json_schema = json_value(response_format, "schema", json::object());
            }
        } else if (response_type == "json_schema") {
            auto schema_wrapper = json_value(response_format, "json_schema", json::object());
            json_schema = json_value(schema_wrapper, "schema", json::object());
        } else if (!response_type.empty() && response_type != "text") {
            throw std::invalid_argument("response_format type must be one of \"text\" or \"json_object\", but got: " + response_type);
        }
    }
    if (json_schema.is_object() && json_schema.empty()) {
        json_schema["type"] = "object";
    }

    if (!body.contains("messages")) {
        throw std::invalid_argument("'messages' is required");
    }
    json & messages = body.at("messages");
    if (!messages.is_array()) {
        throw std::invalid_argument("Expected 'messages' to be an array");
    }
    for (auto & msg : messages) {
        std::string role = json_value(msg, "role", std::string());
        if (role != "assistant" && !msg.contains("content")) {
            throw std::invalid_argument("All non-assistant messages must contain 'content'");
        }
        if (role == "assistant") {
            if (!msg.contains("content") && !msg.contains("tool_calls")) {
                throw std::invalid_argument("Assistant message must contain either 'content' or 'tool_calls'!");
            }
            if (!msg.contains("content")) {
                continue;
            }
        }
        json & content = msg.at("content");
        if (content.is_string() || content.is_null()) {
            continue;
        }
        if (!content.is_array()) {
            throw std::invalid_argument("Expected 'content' to be a string or an array");
        }
        for (auto & p : content) {
            if (json_value(p, "type", std::string()) != "text") {
                throw std::invalid_argument("jseek takes text content only");
            }
        }
    }

    auto caps = common_chat_templates_get_caps(chat.templates.get());

    common_chat_templates_inputs inputs;
    inputs.messages               = common_chat_msgs_parse_oaicompat(messages);
    inputs.tools                  = common_chat_tools_parse_oaicompat(tools);
    inputs.tool_choice            = common_chat_tool_choice_parse_oaicompat(tool_choice);
    inputs.json_schema            = json_schema.is_null() ? "" : json_schema.dump();
    inputs.grammar                = grammar;
    inputs.use_jinja              = true;
    inputs.parallel_tool_calls    = json_value(body, "parallel_tool_calls", caps["supports_parallel_tool_calls"]);
    inputs.add_generation_prompt  = json_value(body, "add_generation_prompt", true);
    inputs.continue_final_message = body.contains("continue_final_message") ?
        common_chat_continuation_parse(body.at("continue_final_message")) :
        COMMON_CHAT_CONTINUATION_NONE;
    if (inputs.continue_final_message == COMMON_CHAT_CONTINUATION_NONE
        && !inputs.messages.empty() && inputs.messages.back().role == "assistant") {
        if (inputs.messages.size() >= 2 && inputs.messages[inputs.messages.size() - 2].role == "assistant") {
            throw std::invalid_argument("Cannot have 2 or more assistant messages at the end of the list.");
        }
        inputs.continue_final_message = COMMON_CHAT_CONTINUATION_AUTO;
        inputs.add_generation_prompt  = false;
    }
    if (inputs.continue_final_message != COMMON_CHAT_CONTINUATION_NONE && inputs.add_generation_prompt) {
        throw std::invalid_argument("Cannot set both add_generation_prompt and continue_final_message to true.");
    }
    if (inputs.continue_final_message != COMMON_CHAT_CONTINUATION_NONE
        && !inputs.messages.empty()
        && inputs.messages.back().role == "assistant"
        && !inputs.messages.back().tool_calls.empty()) {
        throw std::invalid_argument("Cannot continue an assistant message that contains tool calls.");
    }
    inputs.reasoning_format = COMMON_REASONING_FORMAT_DEEPSEEK;
    if (body.contains("reasoning_format")) {
        inputs.reasoning_format = common_reasoning_format_from_name(body.at("reasoning_format").get<std::string>());
    }
    inputs.enable_thinking = chat.enable_thinking;
    if (!inputs.tools.empty() && inputs.tool_choice != COMMON_CHAT_TOOL_CHOICE_NONE) {
        if (body.contains("grammar")) {
            throw std::invalid_argument("Cannot use custom grammar constraints with tools.");
        }
        out["parse_tool_calls"] = true;
    }

    auto kwargs = json_value(body, "chat_template_kwargs", json::object());
    inputs.chat_template_kwargs = chat.default_kwargs;
    for (const auto & item : kwargs.items()) {
        inputs.chat_template_kwargs[item.key()] = item.value().dump();
    }
    auto enable_thinking_kwarg = json_value(json(inputs.chat_template_kwargs), "enable_thinking", std::string(""));
    if (enable_thinking_kwarg == "true") {
        inputs.enable_thinking = true;
    } else if (enable_thinking_kwarg == "false") {
        inputs.enable_thinking = false;
    } else if (!enable_thinking_kwarg.empty() && enable_thinking_kwarg[0] == '"') {
        throw std::invalid_argument("invalid type for \"enable_thinking\" (expected boolean, got string)");
    }
    if (body.contains("reasoning_effort")) {
        auto reasoning_effort = json_value(body, "reasoning_effort", std::string(""));
        if (reasoning_effort == "none") {
            inputs.enable_thinking = false;
            inputs.chat_template_kwargs.erase("reasoning_effort");
        } else if (!reasoning_effort.empty()) {
            inputs.chat_template_kwargs["reasoning_effort"] = json(reasoning_effort).dump();
        }
    }

    auto params = common_chat_templates_apply(chat.templates.get(), inputs);

    out["format"]           = static_cast<int>(params.format);
    out["format_name"]      = common_chat_format_name(params.format);
    out["prompt"]           = params.prompt;
    out["grammar"]          = params.grammar;
    out["grammar_lazy"]     = params.grammar_lazy;
    auto triggers           = json::array();
    for (const auto & t : params.grammar_triggers) {
        json trigger = json::object();
        trigger["type"]  = static_cast<int>(t.type);
        trigger["value"] = t.value;
        if (t.type == COMMON_GRAMMAR_TRIGGER_TYPE_TOKEN) {
            trigger["token"] = static_cast<int>(t.token);
        }
        triggers.push_back(trigger);
    }
    out["grammar_triggers"]  = triggers;
    out["preserved_tokens"]  = params.preserved_tokens;
    out["generation_prompt"] = params.generation_prompt;
    for (const auto & stop : params.additional_stops) {
        out["stop"].push_back(stop);
    }
    out["parser"]             = params.parser;
    out["supports_thinking"]  = params.supports_thinking;
    out["thinking_start_tag"] = params.thinking_start_tag;
    out["thinking_end_tags"]  = params.thinking_end_tags;
    out["enable_thinking"]    = inputs.enable_thinking;
    out["reasoning_format"]   = common_reasoning_format_name(inputs.reasoning_format);
    return out;
}

json parse(const json & p, const std::string & text) {
    common_chat_parser_params params;
    params.format            = static_cast<common_chat_format>(json_value(p, "format", 0));
    params.generation_prompt = json_value(p, "generation_prompt", std::string());
    params.reasoning_format  = common_reasoning_format_from_name(json_value(p, "reasoning_format", std::string("deepseek")));
    params.parse_tool_calls  = json_value(p, "parse_tool_calls", true);
    auto parser = json_value(p, "parser", std::string());
    if (!parser.empty()) {
        params.parser.load(parser);
    }
    auto msg = common_chat_parse(text, json_value(p, "partial", false), params);
    json out = json::object();
    out["role"]              = msg.role;
    out["content"]           = msg.content;
    out["reasoning_content"] = msg.reasoning_content;
    auto calls = json::array();
    for (const auto & c : msg.tool_calls) {
        json call = json::object();
        call["name"]      = c.name;
        call["arguments"] = c.arguments;
        call["id"]        = c.id;
        calls.push_back(call);
    }
    out["tool_calls"] = calls;
    return out;
}

}  // namespace

extern "C" {

jseek_chat * jseek_chat_init(const struct llama_model * model, const char * override_template, char ** error) {
    try {
        jseek_quiet_common_log();
        std::string source = override_template == nullptr ? "" : override_template;
        if (source.empty()) {
            if (model == nullptr) {
                throw std::invalid_argument("no model and no template");
            }
            const char * own = llama_model_chat_template(model, nullptr);
            if (own != nullptr) {
                check_parses(own);
            }
        } else {
            check_parses(source);
        }
        auto chat = std::make_unique<jseek_chat>();
        chat->templates = common_chat_templates_init(model, source);
        chat->enable_thinking = common_chat_templates_support_enable_thinking(chat->templates.get());
        return chat.release();
    } catch (const std::exception & e) {
        if (error != nullptr) {
            *error = copy_out(e.what());
        }
    } catch (...) {
        if (error != nullptr) {
            *error = copy_out("unknown error in llama.cpp's chat library");
        }
    }
    return nullptr;
}

void jseek_chat_free(jseek_chat * chat) {
    delete chat;
}

char * jseek_chat_describe(const jseek_chat * chat) {
    return guarded([&] {
        json out = json::object();
        out["source"] = common_chat_templates_source(chat->templates.get());
        json caps = json::object();
        for (const auto & [name, value] : common_chat_templates_get_caps(chat->templates.get())) {
            caps[name] = value;
        }
        out["caps"] = caps;
        out["supports_enable_thinking"] = chat->enable_thinking;
        return out.dump_safe();
    });
}

char * jseek_chat_apply(const jseek_chat * chat, const char * request_json, size_t request_len) {
    return guarded([&] { return apply(*chat, json::parse(std::string(request_json, request_len))).dump_safe(); });
}

char * jseek_chat_parse(const char * params_json, size_t params_len, const char * text, size_t text_len) {
    return guarded([&] {
        return parse(json::parse(std::string(params_json, params_len)), std::string(text, text_len)).dump_safe();
    });
}

char * jseek_chat_schema_to_grammar(const char * schema_json, size_t schema_len) {
    return guarded([&] {
        json out = json::object();
        out["grammar"] = json_schema_to_grammar(json::parse(std::string(schema_json, schema_len)));
        return out.dump_safe();
    });
}

void jseek_chat_string_free(char * s) {
    std::free(s);
}

}  // extern "C"
