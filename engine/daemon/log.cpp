#include "engine/daemon/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace engine::daemon {

spdlog::logger& log() {
    static std::shared_ptr<spdlog::logger> logger = [] {
        if (auto existing = spdlog::get("daemon")) return existing;
        return spdlog::stderr_color_mt("daemon");
    }();
    return *logger;
}

}  // namespace engine::daemon
