#include "engine/runtime/container_spec.hpp"

namespace engine::runtime {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MountSpec, source, destination, type, options)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Rlimit, name, soft, hard)

// std::optional fields: absent in JSON when unset.
namespace {

template <typename T>
void put(nlohmann::json& j, const char* key, const std::optional<T>& value) {
    if (value) j[key] = *value;
}

template <typename T>
void take(const nlohmann::json& j, const char* key, std::optional<T>& value) {
    auto it = j.find(key);
    value = (it == j.end() || it->is_null()) ? std::nullopt : std::optional<T>(it->get<T>());
}

}  // namespace

void to_json(nlohmann::json& j, const Resources& r) {
    j = nlohmann::json::object();
    put(j, "memory", r.memory);
    put(j, "memory_swap", r.memory_swap);
    put(j, "nano_cpus", r.nano_cpus);
    put(j, "cpu_shares", r.cpu_shares);
    put(j, "pids_limit", r.pids_limit);
    j["cpuset_cpus"] = r.cpuset_cpus;
    j["cpuset_mems"] = r.cpuset_mems;
}

void from_json(const nlohmann::json& j, Resources& r) {
    take(j, "memory", r.memory);
    take(j, "memory_swap", r.memory_swap);
    take(j, "nano_cpus", r.nano_cpus);
    take(j, "cpu_shares", r.cpu_shares);
    take(j, "pids_limit", r.pids_limit);
    r.cpuset_cpus = j.value("cpuset_cpus", "");
    r.cpuset_mems = j.value("cpuset_mems", "");
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerSpec, id, lower_dirs, upper_dir, work_dir,
    rootfs_dir, readonly_rootfs, args, env, cwd, user, group_add, hostname, domainname, terminal,
    init, capabilities, privileged, no_new_privileges, seccomp, masked_paths, readonly_paths,
    mounts, rlimits, sysctls, netns_path, host_network, cgroup_parent, resources, oom_score_adj,
    stop_signal)

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ExecSpec, args, env, cwd, user, terminal,
    privileged, capabilities, no_new_privileges, seccomp)

}  // namespace engine::runtime
