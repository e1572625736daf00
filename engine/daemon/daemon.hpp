#pragma once

#include <chrono>
#include <string>

namespace engine::daemon {

struct DaemonOptions {
    std::string root = "/var/lib/berth";
    std::string socket_path = "/run/berth.sock";
    std::string cgroup_parent = "berth";
    std::string default_bridge;  ///< empty: the engine's (berth0)
    std::string address_pools;   ///< empty: the engine's (Docker's default pools)
    std::string shim_binary;  ///< empty: berth-shim next to berthd
    std::chrono::seconds request_timeout{60};
    unsigned pool_threads = 16;
};

/// Serves the API until SIGTERM or SIGINT; returns the process exit code. Containers keep
/// running when it ends: their shims own them.
int run_daemon(const DaemonOptions& options);

}  // namespace engine::daemon
