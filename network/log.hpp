#pragma once

#include <spdlog/logger.h>

namespace network {

/// The "network" logger; sinks, level and pattern are set once by the CLI.
spdlog::logger& log();

}  // namespace network
