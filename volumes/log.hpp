#pragma once

#include <spdlog/logger.h>

namespace volumes {

/// The "volumes" logger; sinks, level and pattern are set once by the CLI.
spdlog::logger& log();

}  // namespace volumes
