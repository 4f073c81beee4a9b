// jseek's own C, beside llama.cpp's libraries.
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

// The abort callback jseek gives llama.cpp. ggml checks it before every graph node, hundreds of times per
// token: as a Java upcall that cost ~12% of generation speed on small models, so the check reads a flag in
// native memory instead, and Java's cancel() only writes that flag.
bool jseek_abort_requested(void * flag) {
    return atomic_load_explicit((_Atomic unsigned char *) flag, memory_order_relaxed) != 0;
}

// ggml ends the process (abort()) when an RPC worker dies or cannot be reached: its client has no error path.
// That cannot be turned into an exception, so jseek makes it a clear ending: one line saying what happened and
// what to do, and exit code 5 (documented in the README) instead of SIGABRT and a backtrace. Other aborts
// (GGML_ASSERT) get a one-line prefix, then ggml's abort() goes on as before.
#define JSEEK_EXIT_NATIVE_FAILURE 5

// Several of ggml-rpc's messages end in a newline ("Failed to connect to %s\n"); folded into one line, so the
// "one line" holds whatever ggml sends. ggml's own buffer for the message is 2048 bytes.
static void one_line(char * out, size_t size, const char * message) {
    size_t n = 0;
    for (const char * c = message; *c != '\0' && n + 1 < size; c++) {
        out[n++] = (*c == '\n' || *c == '\r' || *c == '\t') ? ' ' : *c;
    }
    while (n > 0 && out[n - 1] == ' ') {
        n--;
    }
    out[n] = '\0';
}

static void jseek_on_ggml_abort(const char * raw) {
    char message[2048];
    one_line(message, sizeof message, raw);
    if (strstr(message, "ggml-rpc") != NULL || strstr(message, "RPC") != NULL) {
        fprintf(stderr, "jseek: an RPC worker stopped answering or could not be reached (%s); restart it (jseek worker) "
                        "and run again.\n", message);
        fflush(stderr);
        _exit(JSEEK_EXIT_NATIVE_FAILURE);
    }
    fprintf(stderr, "jseek: llama.cpp stopped the process: %s\n", message);
    fflush(stderr);
}

typedef void (*jseek_abort_callback)(const char * message);
typedef jseek_abort_callback (*jseek_set_abort_callback)(jseek_abort_callback callback);

// Called once by the runtime with the address of ggml_set_abort_callback (the shim links against nothing).
void jseek_install_abort_handler(void * set_abort_callback) {
    ((jseek_set_abort_callback) set_abort_callback)(jseek_on_ggml_abort);
}
