#include "engine/runtime/container_spec.hpp"

namespace engine::runtime {

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


}  // namespace engine::runtime
