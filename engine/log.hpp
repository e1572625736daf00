#pragma once

#include <spdlog/logger.h>

namespace engine {

/// The "engine" logger; sinks, level and pattern are set once by the CLI.
spdlog::logger& log();

}  // namespace engine
