#include "compose/log.hpp"

#include <spdlog/spdlog.h>

namespace compose {

spdlog::logger& log() {
    static std::shared_ptr<spdlog::logger> logger = [] {
        if (auto existing = spdlog::get("compose")) return existing;
        auto created = std::make_shared<spdlog::logger>("compose", spdlog::default_logger()->sinks().begin(),
                                                        spdlog::default_logger()->sinks().end());
        spdlog::initialize_logger(created);  // registers it with the global level
        return created;
    }();
    return *logger;
}

}  // namespace compose
