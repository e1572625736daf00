#include "engine/log.hpp"

#include <spdlog/spdlog.h>

namespace engine {

spdlog::logger& log() {
    static std::shared_ptr<spdlog::logger> logger = [] {
        if (auto existing = spdlog::get("engine")) return existing;
        auto created = std::make_shared<spdlog::logger>("engine", spdlog::default_logger()->sinks().begin(),
                                                        spdlog::default_logger()->sinks().end());
        spdlog::initialize_logger(created);  // registers it with the global level
        return created;
    }();
    return *logger;
}

}  // namespace engine
