#pragma once

#include <spdlog/logger.h>

namespace compose {

/// The "compose" logger; sinks, level and pattern are set once by the CLI.
spdlog::logger& log();

}  // namespace compose
