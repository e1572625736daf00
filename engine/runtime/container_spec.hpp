#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace engine::runtime {

/// One extra mount inside the container (binds, tmpfs, volumes). `destination` is absolute in
/// the container; options are mount(8)-style ("ro", "nosuid", "size=64m", "rbind", "rprivate").
struct MountSpec {
    std::string source;
    std::string destination;
    std::string type;  ///< "bind", "tmpfs", or a filesystem type
    std::vector<std::string> options;
    bool operator==(const MountSpec&) const = default;
};

/// A resource limit as setrlimit takes it; name is docker's ("nofile", "nproc", "core", ...).
struct Rlimit {
    std::string name;
    std::uint64_t soft = 0;
    std::uint64_t hard = 0;
    bool operator==(const Rlimit&) const = default;
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MountSpec, source, destination, type, options)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Rlimit, name, soft, hard)

/// cgroup limits, each unset when not asked (docker's HostConfig fields, same units).
struct Resources {
    std::optional<std::int64_t> memory;       ///< bytes
    std::optional<std::int64_t> memory_swap;  ///< bytes of memory+swap; -1 unlimited
    std::optional<std::int64_t> nano_cpus;    ///< --cpus × 1e9
    std::optional<std::uint64_t> cpu_shares;  ///< cgroup v1 weight (v2 converts)
    std::string cpuset_cpus;
    std::string cpuset_mems;
    std::optional<std::int64_t> pids_limit;   ///< -1 or 0 unlimited
    bool operator==(const Resources&) const = default;
};

/// Everything the launcher needs to start one container process, already decided: the image's
/// and the user's settings merged, capabilities resolved, paths absolute. Written by the engine
/// as spec.json in the container directory and read by the shim; pure data.
struct ContainerSpec {
    std::string id;                        ///< 64 hex chars
    // Root filesystem: an overlay of the image's layers (top first) with a per-container upper.
    std::vector<std::string> lower_dirs;   ///< top-most layer first; empty → rootfs_dir used as is
    std::string upper_dir;
    std::string work_dir;
    std::string rootfs_dir;                ///< mount point of the overlay (host path)
    bool readonly_rootfs = false;

    // The process.
    std::vector<std::string> args;         ///< argv; args[0] looked up in PATH as Docker does
    std::vector<std::string> env;          ///< "KEY=value"
    std::string cwd = "/";
    std::string user;                      ///< "", "uid", "name", "uid:gid", "name:group"
    std::vector<std::string> group_add;    ///< --group-add, names or gids
    std::string hostname;
    std::string domainname;
    bool terminal = false;                 ///< a pty (run -t)
    bool init = false;                     ///< a zombie-reaping pid 1 in front of args (--init)

    // Security.
    std::vector<std::string> capabilities; ///< final set, "CAP_CHOWN" form
    bool privileged = false;
    bool no_new_privileges = false;
    std::string seccomp = "default";       ///< "default", "unconfined", or a profile's JSON text
    std::string seccomp_program_file;      ///< `seccomp` compiled for `capabilities`, when cached
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::vector<MountSpec> mounts;         ///< after the standard /proc /dev /sys mounts
    std::vector<Rlimit> rlimits;
    std::vector<std::pair<std::string, std::string>> sysctls;

    // Namespaces: pid, mount, uts, ipc and cgroup are always new. The network namespace is new
    // and empty (loopback only) unless `netns_path` names one to join (the network module's).
    std::string netns_path;
    bool host_network = false;

    // cgroup: created as <cgroup parent>/<id> under every controller berth uses.
    std::string cgroup_parent = "berth";
    Resources resources;
    int oom_score_adj = 0;

    std::string stop_signal = "SIGTERM";
};

void to_json(nlohmann::json& j, const Resources& r);
void from_json(const nlohmann::json& j, Resources& r);

// Inline (the macro's), so every user of the header gets them.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerSpec, id, lower_dirs, upper_dir, work_dir,
    rootfs_dir, readonly_rootfs, args, env, cwd, user, group_add, hostname, domainname, terminal,
    init, capabilities, privileged, no_new_privileges, seccomp, seccomp_program_file, masked_paths, readonly_paths,
    mounts, rlimits, sysctls, netns_path, host_network, cgroup_parent, resources, oom_score_adj,
    stop_signal)

/// A process started inside a running container (exec): joins every namespace and the cgroup
/// of the container whose init has `target_pid`.
struct ExecSpec {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::string user;
    bool terminal = false;
    bool privileged = false;
    std::vector<std::string> capabilities;
    bool no_new_privileges = false;
    std::string seccomp = "default";
    std::string seccomp_program_file;
    unsigned short console_rows = 0, console_cols = 0;  ///< the terminal's size at the start
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExecSpec, args, env, cwd, user, terminal,
    privileged, capabilities, no_new_privileges, seccomp, seccomp_program_file, console_rows,
    console_cols)

}  // namespace engine::runtime
