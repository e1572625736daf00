#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace engine::container {

/// A container as berth persists it (config.json in its directory). `config` and `host_config`
/// have the shapes of the Docker Engine API's ContainerConfig and HostConfig, so that the API,
/// `inspect` and the CLI all speak one vocabulary.
struct ContainerRecord {
    std::string id;           ///< 64 hex chars
    std::string name;         ///< without docker's leading "/"
    std::string created;      ///< RFC 3339 with nanoseconds
    std::string image_id;     ///< "sha256:…" of the image it was created from
    std::string path;         ///< the resolved program (entrypoint/cmd merged)
    std::vector<std::string> args;
    nlohmann::json config = nlohmann::json::object();       ///< Config (Image = the name given)
    nlohmann::json host_config = nlohmann::json::object();  ///< HostConfig
    int restart_count = 0;
    bool manually_stopped = false;  ///< set by stop/kill: restart policies do not undo it
    bool paused = false;            ///< frozen by pause (meaningful while running)
    std::string cgroup_parent;      ///< decided at create: HostConfig.CgroupParent or the engine's
};

/// The cgroup parent of a container ("berth" for records that predate the field).
inline std::string cgroup_parent_of(const ContainerRecord& r) {
    return r.cgroup_parent.empty() ? "berth" : r.cgroup_parent;
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ContainerRecord, id, name, created, image_id, path,
    args, config, host_config, restart_count, manually_stopped, paused, cgroup_parent)

}  // namespace engine::container
