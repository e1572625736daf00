#pragma once

// Mount specifications as Docker takes them, parsed and checked without touching the system:
//   HostConfig.Binds  "/host:/ctr[:opts]", "name:/ctr[:opts]", "/ctr"      (run -v)
//   HostConfig.Mounts {"Type","Source","Target","ReadOnly","BindOptions",...}  (run --mount)
// Both become MountPoint, which the engine stores per container and shows in inspect's Mounts.

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/sys/result.hpp"

namespace volumes {

using engine::Error;
using engine::Result;
using engine::Status;

/// One mount of a container, decided at create time.
struct MountPoint {
    std::string type;         ///< "bind", "volume" or "tmpfs"
    std::string source;       ///< bind: host path; volume: name ("" until an anonymous one is made)
    std::string destination;  ///< absolute, inside the container
    bool read_only = false;
    std::string mode;         ///< the -v options as given (inspect's Mode)
    std::string propagation;  ///< bind only; "" means rprivate
    bool recursive = true;    ///< bind: rbind unless BindOptions.NonRecursive
    bool create_source = false;  ///< bind: create a missing host path (-v, CreateMountpoint)
    bool copy_data = true;    ///< volume: copy the image's content into an empty volume
    bool anonymous = false;   ///< volume: made for this container (rm -v removes it)
    std::int64_t tmpfs_size = 0;  ///< tmpfs: bytes, 0 = kernel default
    unsigned tmpfs_mode = 0;      ///< tmpfs: permission bits, 0 = kernel default
    std::map<std::string, std::string> volume_labels;   ///< volume: for a volume created here
    std::map<std::string, std::string> volume_options;  ///< volume: driver options, likewise

    /// inspect's Mounts entry; `volume_dir` is the volume's _data directory for volumes.
    nlohmann::json inspect(const std::string& volume_dir) const;
};

void to_json(nlohmann::json& j, const MountPoint& m);
void from_json(const nlohmann::json& j, MountPoint& m);

/// A HostConfig.Binds entry (docker run -v).
Result<MountPoint> parse_bind(const std::string& spec);

/// A HostConfig.Mounts entry in the Engine API's shape.
Result<MountPoint> parse_api_mount(const nlohmann::json& mount);

/// docker run --mount's CSV ("type=bind,source=/a,target=/b,readonly") → an API Mounts entry.
Result<nlohmann::json> parse_mount_flag(const std::string& csv);

/// A --volumes-from entry "container[:ro|rw]" → (container, mode override or "").
Result<std::pair<std::string, std::string>> parse_volumes_from(const std::string& spec);

/// A container path a mount may target: absolute, and not "/" itself.
Status check_destination(const std::string& destination, const std::string& type);

/// A size as docker's flags take it ("512", "64m", "1.5g"), in bytes.
Result<std::int64_t> parse_size(const std::string& text);

}  // namespace volumes
