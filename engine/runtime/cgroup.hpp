#pragma once

// cgroups for containers, v1 (one hierarchy per controller, as on hybrid hosts) and v2 (unified).
// Every path is rooted at an injectable mount root (/sys/fs/cgroup by default) so that the
// sequencing can be unit-tested against a temporary directory.

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/runtime/container_spec.hpp"
#include "engine/sys/result.hpp"

namespace engine::runtime {

/// Usage figures for `stats` and for OOM reporting.
struct CgroupStats {
    std::uint64_t memory_usage = 0;   ///< bytes
    std::uint64_t memory_limit = 0;   ///< bytes; 0 when unlimited
    std::uint64_t cpu_usage_ns = 0;
    std::uint64_t pids = 0;
    std::uint64_t oom_kills = 0;      ///< processes the kernel's OOM killer took in this cgroup
};

/// One container's cgroup across the hierarchies in use.
class Cgroup {
public:
    virtual ~Cgroup() = default;
    /// Creates the cgroup directories (parents too) and writes `resources`; idempotent.
    virtual Status create(const Resources& resources) = 0;
    /// Moves `pid` into the cgroup in every hierarchy.
    virtual Status add(pid_t pid) = 0;
    /// Freezes or thaws every process in the cgroup (pause/unpause); waits until done.
    virtual Status freeze(bool frozen) = 0;
    virtual Result<CgroupStats> stats() const = 0;
    /// Pids currently in the cgroup (for top, and to kill stragglers).
    virtual Result<std::vector<pid_t>> pids() const = 0;
    /// Removes the directories; the cgroup must be empty.
    virtual Status destroy() = 0;
};

/// Starts, on a detached thread, a move of the calling process into the cgroup it is already in.
/// The first cgroup.procs write after a quiet spell waits for an RCU grace period (the kernel's
/// cgroup_threadgroup_rwsem switching to writer mode, ~10 ms) and writes within about one grace
/// period after it do not: called as soon as a container is about to start, the wait overlaps
/// the work before the container's own move into its cgroup. Best effort; a no-op move changes
/// nothing.
void prewarm_cgroup_moves();

/// The host's cgroup hierarchies mounted under /sys/fs/cgroup: mount point name → controllers
/// ("cpu,cpuacct", "name=systemd"; "" for a cgroup2 mount).
std::map<std::string, std::string> cgroup_hierarchies();

/// The host directory of each hierarchy's cgroup that `pid` is in, from /proc/PID/cgroup.
Result<std::vector<std::string>> cgroup_dirs_of(pid_t pid);

/// The cgroup version the host mounts at `mount_root`: 2 when it is a unified cgroup2 mount,
/// else 1.
int detect_cgroup_version(const std::string& mount_root = "/sys/fs/cgroup");

/// The cgroup "<parent>/<id>" for the host's version, rooted at `mount_root`.
std::unique_ptr<Cgroup> open_cgroup(const std::string& parent, const std::string& id,
                                    const std::string& mount_root = "/sys/fs/cgroup");

/// The same for a given version, whatever the host mounts (for tests against a plain directory
/// laid out like a cgroup mount).
std::unique_ptr<Cgroup> open_cgroup_v1(const std::string& parent, const std::string& id,
                                       const std::string& mount_root);
std::unique_ptr<Cgroup> open_cgroup_v2(const std::string& parent, const std::string& id,
                                       const std::string& mount_root);

}  // namespace engine::runtime
