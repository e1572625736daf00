#pragma once

// Network records under <root>/networks/<id>.json, in the shape of the Docker Engine API's
// NetworkResource (without Containers, which the engine fills from its endpoints on inspect).
// Names are unique; a flock on <root>/networks/.lock serializes check-then-act sequences. The
// predefined networks "bridge", "host" and "none" are written on first use of every root.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/result.hpp"
#include "engine/sys/unique_fd.hpp"

namespace network {

using engine::Error;
using engine::Result;
using engine::Status;

/// One IPAM.Config entry; empty strings are left out of the JSON, as Docker does.
struct IpamConfig {
    std::string subnet;
    std::string gateway;
    std::string ip_range;
};

/// Option keys Docker's bridge driver understands.
inline constexpr const char* kBridgeNameOption = "com.docker.network.bridge.name";
inline constexpr const char* kMtuOption = "com.docker.network.driver.mtu";
inline constexpr const char* kDefaultBridgeOption = "com.docker.network.bridge.default_bridge";

struct NetworkRecord {
    std::string id;       ///< 64 hex chars
    std::string name;
    std::string created;  ///< RFC 3339 with nanoseconds
    std::string scope = "local";
    std::string driver = "bridge";  ///< "bridge", or "host"/"null" for the predefined ones
    bool enable_ipv6 = false;
    bool internal = false;
    bool attachable = false;
    bool ingress = false;
    std::vector<IpamConfig> ipam_config;
    std::map<std::string, std::string> ipam_options;
    std::map<std::string, std::string> options;
    std::map<std::string, std::string> labels;

    /// True for "bridge", "host" and "none", which cannot be removed.
    bool predefined() const;
    /// The Linux bridge: the bridge.name option, else "br-<id12>"; empty for host/none.
    std::string bridge_name() const;
    /// The driver.mtu option (0 when unset or invalid).
    int mtu() const;
};

/// Docker's NetworkResource JSON for `record` (with "Containers": {}).
std::string network_to_json(const NetworkRecord& record);
/// Reads what network_to_json wrote; errors name the bad field.
Result<NetworkRecord> network_from_json(std::string_view text);

/// A fresh random 64-hex-char id.
std::string new_network_id();

class NetworkStore {
public:
    /// `root` is berth's state root; `default_bridge` the Linux bridge of the "bridge" network.
    NetworkStore(std::string root, std::string default_bridge);

    /// Every network, sorted by name; writes the predefined ones first when missing.
    Result<std::vector<NetworkRecord>> list() const;
    /// By exact name, full id, or unique id prefix (names win, as in Docker). Errors:
    /// "network <ref> not found", "network <ref> is ambiguous (N matches found based on ID prefix)".
    Result<NetworkRecord> find(const std::string& ref) const;
    /// Adds a new record; error "network with name <name> already exists" on a clash.
    /// Callers hold lock() around their check-then-add.
    Status add(const NetworkRecord& record) const;
    /// Rewrites an existing record atomically.
    Status save(const NetworkRecord& record) const;
    /// Deletes a record; a missing one is not an error.
    Status remove(const std::string& id) const;
    /// An exclusive lock over the store, released on destruction.
    Result<engine::sys::UniqueFd> lock() const;

    const std::string& dir() const { return dir_; }
    const std::string& default_bridge() const { return default_bridge_; }

private:
    Status ensure_predefined() const;
    Result<std::vector<NetworkRecord>> load_all() const;

    std::string dir_;
    std::string default_bridge_;
};

}  // namespace network
