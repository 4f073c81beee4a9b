// The headers jseek binds: llama.cpp's API, ggml's RPC backend (multi-machine), and jseek's C ABI over
// llama.cpp's common chat library (native/shim/jseek_chat.h: Jinja templates, tool calls, schema grammars; jseek_fit.h: memory measured by llama.cpp).
// llama.h pulls in ggml.h, ggml-backend.h and ggml-cpu.h; generate.sh keeps only what jseek uses.
#include "llama.h"
#include "ggml-rpc.h"
#include "jseek_chat.h"
#include "jseek_fit.h"
