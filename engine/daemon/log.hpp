#pragma once

#include <spdlog/logger.h>

namespace engine::daemon {

/// The "daemon" logger; berthd's main sets its sinks and level.
spdlog::logger& log();

}  // namespace engine::daemon
