#pragma once

// What start_shim() (in the engine) and the berth-shim process share: the shim's command line,
// the sync pipe's messages and the attach socket's address.

#include <sys/socket.h>
#include <sys/un.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/shim/shim.hpp"
#include "engine/sys/result.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::shim {

/// The shim always finds its sync pipe here.
inline constexpr int kSyncFd = 3;

/// argv of `berth-shim run DIR [options]` (argv[0] is the binary).
std::vector<std::string> shim_command(const std::string& dir, const ShimOptions& options);

struct ShimArgs {
    std::string dir;
    ShimOptions options;
};
/// Parses what shim_command() produced; nullopt for anything else.
std::optional<ShimArgs> parse_shim_command(int argc, char** argv);

// Sync pipe, one line per message, shim → starter:
//   "listening\n"             attach.sock accepts connections (the starter may attach now)
//   "ok <shim pid> <pid>\n"   the container's program runs
//   "error <errno> <text>\n"  it could not start; exit.json says the same
inline constexpr const char* kSyncListening = "listening";
inline constexpr const char* kSyncOk = "ok";
inline constexpr const char* kSyncError = "error";

/// A unix socket address for `name` in the directory open as `dir_fd`. It goes through
/// /proc/self/fd/N because sun_path holds only 108 bytes and container directories can be
/// longer; the directory fd must stay open until bind/connect is done.
sockaddr_un address_in(int dir_fd, const std::string& name);

/// The exit code for a start failure, as docker: 127 not found, 126 not executable, else 128.
int start_failure_code(int sys_errno);

}  // namespace engine::shim
