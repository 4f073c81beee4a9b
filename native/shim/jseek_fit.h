// jseek's C ABI over the pinned llama.cpp's memory measurement (common/fit.h): what llama.cpp itself would
// allocate for a model and a context, found by loading both with no_alloc (metadata only, nothing allocated).
// Like jseek_chat.h: every C++ exception becomes {"error": "..."}; free results with jseek_chat_string_free.
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct llama_model_params;
struct llama_context_params;

// {"devices": [{"name", "model", "context", "compute", "free", "total"}, ..., {"name": "host", ...}],
//  "n_layer", "n_ctx_train", "n_expert"} in bytes, the host (system memory) last; or {"error"}.
char * jseek_fit_measure(const char * path_model, const struct llama_model_params * mparams,
                         const struct llama_context_params * cparams);

#ifdef __cplusplus
}
#endif
