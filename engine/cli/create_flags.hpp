#pragma once

// The flags `run` and `create` share, in docker's spelling, turned into a CreateRequest.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/container/containers.hpp"

namespace engine::cli {

struct CreateFlags {
    std::string name, workdir, user, entrypoint, hostname, stop_signal, restart, cgroup_parent;
    bool entrypoint_set = false;
    bool interactive = false, tty = false, read_only = false, privileged = false, init = false;
    bool auto_remove = false;
    std::vector<std::string> env, env_files, labels, tmpfs, cap_add, cap_drop, security_opts,
        ulimits, group_add, sysctls, log_opts, volumes, mounts, volumes_from;
    std::string memory, memory_swap, cpus, cpuset_cpus, cpuset_mems;
    std::int64_t cpu_shares = 0, pids_limit = 0;
    int oom_score_adj = 0;
    std::optional<int> stop_timeout;
    std::string network, ip;
    std::vector<std::string> network_aliases;
    std::string image;  ///< the positional; image_and_command is it plus what follows
    std::vector<std::string> image_and_command;  ///< IMAGE [COMMAND] [ARG...]
};

/// Registers the shared flags on `cmd` (which must stop at its first positional).
void add_create_flags(CLI::App& cmd, CreateFlags& flags);

/// The Docker-shaped request; errors name the flag and value as docker does.
Result<container::CreateRequest> to_create_request(const CreateFlags& flags);


}  // namespace engine::cli
