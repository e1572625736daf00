#pragma once

// A container's volumes and binds: decided and checked at create (HostConfig.Binds, .Mounts,
// .VolumesFrom and the image's Config.Volumes), stored as <container dir>/mounts.json, turned
// into runtime mounts at start, shown in inspect's Mounts, and released at stop and rm.
//
//   create:  plan_mounts (pure checks + stat of bind sources) → container record written →
//            create_mounts (volumes made, image content copied up, mounts.json)
//   start:   add_volume_mounts (driver volumes mounted, bind sources resolved) → spec.mounts
//   stop/rm: release_volumes (driver volumes unmounted when idle; rm -v: anonymous removed)

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/runtime/container_spec.hpp"
#include "engine/sys/result.hpp"
#include "volumes/mount_point.hpp"

namespace engine::container {

/// The stored mount points of a container, by reference (for --volumes-from).
using MountsOf = std::function<Result<std::vector<volumes::MountPoint>>(const std::string& ref)>;

/// The mount points a container will have, checked (destinations, duplicates, volume names,
/// bind sources that must exist); nothing is created. `config` is the merged Config.
Result<std::vector<volumes::MountPoint>> plan_mounts(const nlohmann::json& config,
                                                     const nlohmann::json& host_config,
                                                     const MountsOf& mounts_of);

/// Makes what `mounts` need under the state root `root`: named volumes (when missing),
/// anonymous volumes, bind sources to create; copies the image's content (`layer_dirs`, top
/// first) into empty volumes; writes the result to `container_dir`/mounts.json. On failure the
/// anonymous volumes it made are removed again.
Status create_mounts(const std::string& root, const std::string& container_dir,
                     std::vector<volumes::MountPoint> mounts,
                     const std::vector<std::string>& layer_dirs);

/// The stored mount points of a container ([] when it has none).
std::vector<volumes::MountPoint> load_mounts(const std::string& container_dir);

/// Appends the container's volume, bind and tmpfs mounts to `spec.mounts` (mounting driver
/// volumes on the host first) and orders all mounts parents before children.
Status add_volume_mounts(const std::string& root, const std::string& container_dir,
                         runtime::ContainerSpec& spec);

/// inspect's Mounts array for a container.
nlohmann::json inspect_mounts(const std::string& root, const std::string& container_dir);

/// Volume name → ids of the containers (any state) whose mounts name it.
std::map<std::string, std::vector<std::string>> volumes_in_use(const std::string& root);

/// After a container stopped or was removed: unmounts the driver volumes of `mounts` that no
/// volume in `busy` (used by running containers) needs; with `remove_anonymous`, removes its
/// anonymous volumes that no remaining container uses.
Status release_volumes(const std::string& root, const std::vector<volumes::MountPoint>& mounts,
                       const std::set<std::string>& busy, bool remove_anonymous);

}  // namespace engine::container
