#pragma once

// Volumes of the "local" driver, as Docker keeps them: <root>/volumes/<name>/_data holds the
// data and <root>/volumes/<name>/volume.json the metadata (written atomically). Driver options
// (type=tmpfs|none|<fs>, device=, o=) describe a filesystem that is mounted on _data while a
// container uses the volume. The data directory is only ever deleted by removing its volume.

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/sys/result.hpp"

namespace volumes {

using engine::Error;
using engine::Result;
using engine::Status;

/// The label Docker puts on volumes it creates for `-v /path` and image VOLUMEs.
inline constexpr const char* kAnonymousLabel = "com.docker.volume.anonymous";

/// One volume's metadata, the fields of Docker's `volume inspect`.
struct Volume {
    std::string name;
    std::string driver = "local";
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> options;
    std::string created_at;  ///< RFC 3339, seconds
    std::string mountpoint;  ///< the _data directory

    bool anonymous() const { return labels.count(kAnonymousLabel) != 0; }
    /// Docker's inspect document (Name, Driver, Mountpoint, CreatedAt, Labels, Scope, Options).
    nlohmann::json inspect() const;
};

/// What `volume create` asks for; an empty name gets a generated 64-hex one.
struct CreateRequest {
    std::string name;
    std::string driver = "local";
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> options;
};

/// `volume ls --filter` and `volume prune --filter`: key → accepted values (docker's
/// name=, label=k[=v], label!=, dangling=true|false, driver=).
using Filters = std::map<std::string, std::vector<std::string>>;

/// Docker's rule for volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (so no "/" and no "..").
bool valid_name(const std::string& name);

/// A random 64-hex name, as Docker gives anonymous volumes.
std::string new_anonymous_name();

/// Parses a filter argument "key=value" into `filters`; error for unknown keys.
Status add_filter(Filters& filters, const std::string& text, const std::set<std::string>& allowed);

class VolumeStore {
public:
    /// The store under `<root>/volumes` (created if missing).
    static Result<VolumeStore> open(const std::string& root);

    /// Creates a volume, or returns the existing one of that name when the request does not
    /// contradict it (another driver or other options is an error).
    Result<Volume> create(const CreateRequest& request);
    Result<Volume> get(const std::string& name) const;
    /// Every volume, sorted by name; unreadable entries are skipped.
    std::vector<Volume> list() const;
    /// The volumes matching `filters`; `in_use` decides dangling=.
    std::vector<Volume> list(const Filters& filters, const std::set<std::string>& in_use) const;
    /// Removes a volume and its data; refused while its name is in `in_use`.
    Status remove(const std::string& name, const std::set<std::string>& in_use);
    /// Removes unused volumes: anonymous ones only, or all with `all`; returns the names and the
    /// bytes reclaimed.
    Result<std::pair<std::vector<std::string>, std::uint64_t>> prune(
        bool all, const Filters& filters, const std::set<std::string>& in_use);

    /// Mounts the filesystem the driver options describe on _data, unless already mounted or
    /// the volume has none (a plain directory).
    Status activate(const Volume& volume) const;
    /// Unmounts what activate mounted (nothing for plain volumes).
    Status deactivate(const Volume& volume) const;

    std::string dir() const { return dir_; }
    std::string data_dir(const std::string& name) const { return dir_ + "/" + name + "/_data"; }

private:
    explicit VolumeStore(std::string dir) : dir_(std::move(dir)) {}
    Status save(const Volume& volume) const;

    std::string dir_;
};

/// The local driver's options checked: only type, device and o; "o=bind" needs a device.
Status validate_options(const std::map<std::string, std::string>& options);

}  // namespace volumes
