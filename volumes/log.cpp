#include "volumes/log.hpp"

#include <spdlog/spdlog.h>

namespace volumes {

spdlog::logger& log() {
    static std::shared_ptr<spdlog::logger> logger = [] {
        if (auto existing = spdlog::get("volumes")) return existing;
        auto created = std::make_shared<spdlog::logger>("volumes", spdlog::default_logger()->sinks().begin(),
                                                        spdlog::default_logger()->sinks().end());
        spdlog::initialize_logger(created);  // registers it with the global level
        return created;
    }();
    return *logger;
}

}  // namespace volumes
