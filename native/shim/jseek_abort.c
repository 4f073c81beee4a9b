// The abort callback jseek gives llama.cpp. ggml checks it before every graph node, hundreds of times per
// token: as a Java upcall that cost ~12% of generation speed on small models, so the check reads a flag in
// native memory instead, and Java's cancel() only writes that flag.
#include <stdatomic.h>
#include <stdbool.h>

bool jseek_abort_requested(void * flag) {
    return atomic_load_explicit((_Atomic unsigned char *) flag, memory_order_relaxed) != 0;
}
