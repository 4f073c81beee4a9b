// jseek's C ABI over llama.cpp's memory measurement; see jseek_fit.h.
#include "jseek_fit.h"

#include "fit.h"
#include "json.h"

#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

using json = common_json;

void jseek_quiet_common_log();  // jseek_chat.cpp

namespace {

char * copy_out(const std::string & s) {
    char * out = static_cast<char *>(std::malloc(s.size() + 1));
    if (out != nullptr) {
        std::memcpy(out, s.data(), s.size());
        out[s.size()] = '\0';
    }
    return out;
}

}  // namespace

extern "C" char * jseek_fit_measure(const char * path_model, const struct llama_model_params * mparams,
                                    const struct llama_context_params * cparams) {
    try {
        jseek_quiet_common_log();
        std::vector<ggml_backend_dev_t> devs;
        uint32_t n_layer = 0, n_ctx_train = 0, n_expert = 0;
        // llama.cpp's own log level for the measurement's chatter: errors only
        auto data = common_get_device_memory_data(path_model, mparams, cparams, devs, n_layer, n_ctx_train, n_expert,
                                                  GGML_LOG_LEVEL_ERROR);
        json devices = json::array();
        for (size_t i = 0; i < data.size(); i++) {
            json d = json::object();
            d["name"]    = i < devs.size() ? std::string(ggml_backend_dev_name(devs[i])) : std::string("host");
            d["model"]   = static_cast<int64_t>(data[i].model);
            d["context"] = static_cast<int64_t>(data[i].context);
            d["compute"] = static_cast<int64_t>(data[i].compute);
            d["free"]    = data[i].free;
            d["total"]   = data[i].total;
            devices.push_back(d);
        }
        json out = json::object();
        out["devices"]     = devices;
        out["n_layer"]     = static_cast<int64_t>(n_layer);
        out["n_ctx_train"] = static_cast<int64_t>(n_ctx_train);
        out["n_expert"]    = static_cast<int64_t>(n_expert);
        return copy_out(out.dump_safe());
    } catch (const std::exception & e) {
        json out = json::object();
        out["error"] = std::string(e.what());
        return copy_out(out.dump_safe());
    } catch (...) {
        return copy_out("{\"error\":\"unknown error in llama.cpp's memory measurement\"}");
    }
}
