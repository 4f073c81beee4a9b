// jseek's C ABI over the pinned llama.cpp's common chat library (common/chat.h): the model's own Jinja
// template rendered, model output parsed and JSON Schemas converted exactly as llama-server does, because it
// is llama-server's own code doing it. Strings are UTF-8; requests and results are JSON text.
//
// Every function catches every C++ exception: a failure is a result {"error": "..."}, never an abort.
// Every returned string is malloc'd and must be released with jseek_chat_string_free.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct llama_model;
typedef struct jseek_chat jseek_chat;

// Loads a model's chat templates: its own (override NULL or empty), or override, which is a template's Jinja
// source or one of llama.cpp's built-in names. On failure returns NULL and sets *error (free it).
jseek_chat * jseek_chat_init(const struct llama_model * model, const char * override_template, char ** error);

void jseek_chat_free(jseek_chat * chat);

// {"source": "...", "caps": {"supports_tools": true, ...}, "supports_enable_thinking": bool}
char * jseek_chat_describe(const jseek_chat * chat);

// Renders an OpenAI chat-completions request body (messages, tools, tool_choice, response_format,
// chat_template_kwargs, reasoning_effort, ...) as llama-server's oaicompat_chat_params_parse does with its
// default options. Result: {"prompt", "format", "grammar", "grammar_lazy", "grammar_triggers",
// "preserved_tokens", "stop", "generation_prompt", "parser", "supports_thinking", "thinking_start_tag",
// "thinking_end_tags", "enable_thinking"} or {"error"}.
char * jseek_chat_apply(const jseek_chat * chat, const char * request_json, size_t request_len);

// Parses a model's output (text, text_len bytes) with the parser params jseek_chat_apply returned:
// params {"format", "parser", "generation_prompt", "reasoning_format", "parse_tool_calls", "partial"}.
// Result: {"role", "content", "reasoning_content", "tool_calls": [{"name", "arguments", "id"}]} or {"error"}.
char * jseek_chat_parse(const char * params_json, size_t params_len, const char * text, size_t text_len);

// Converts a JSON Schema to GBNF with llama.cpp's converter. Result: {"grammar"} or {"error"}.
char * jseek_chat_schema_to_grammar(const char * schema_json, size_t schema_len);

void jseek_chat_string_free(char * s);

#ifdef __cplusplus
}
#endif
