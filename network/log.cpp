#include "network/log.hpp"

#include <spdlog/spdlog.h>

namespace network {

spdlog::logger& log() {
    static std::shared_ptr<spdlog::logger> logger = [] {
        if (auto existing = spdlog::get("network")) return existing;
        auto created = std::make_shared<spdlog::logger>("network", spdlog::default_logger()->sinks().begin(),
                                                        spdlog::default_logger()->sinks().end());
        spdlog::initialize_logger(created);  // registers it with the global level
        return created;
    }();
    return *logger;
}

}  // namespace network
