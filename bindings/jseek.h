// The headers jseek binds: llama.cpp's API plus ggml's RPC backend (multi-machine).
// llama.h pulls in ggml.h, ggml-backend.h and ggml-cpu.h; generate.sh keeps only what jseek uses.
#include "llama.h"
#include "ggml-rpc.h"
