#pragma once

// The berth-shim process: starts the container from <dir>/spec.json, then relays its output to
// the log and to attached clients until it exits, and records how it ended.

#include "engine/shim/internal.hpp"

namespace engine::shim {

/// Runs the shim for `args.dir`, reporting the start on `sync_fd`; returns the shim's exit code.
int run_shim(const ShimArgs& args, int sync_fd);

}  // namespace engine::shim
