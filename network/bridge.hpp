#pragma once

// Bridge networks: a record in the network store, an address pool in IPAM and a Linux bridge
// carrying the gateway address, created together and undone together. The default "bridge"
// network gets its pool and its Linux bridge on first use.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "network/ipam.hpp"
#include "network/ipam_store.hpp"
#include "network/network_store.hpp"

namespace network {

/// Engine-wide settings (dockerd's --bridge and --default-address-pool).
struct BridgeSettings {
    std::string default_bridge = "berth0";
    std::vector<Ipv4Subnet> address_pools;  ///< subnets handed out in order; empty: Docker's
};

/// Parses "CIDR[/SIZE]" entries separated by commas: "10.213.0.0/16/24" is the /16 split into
/// /24s, "10.213.7.0/24" a single subnet. Error names the bad entry.
Result<std::vector<Ipv4Subnet>> parse_address_pools(std::string_view text);

/// What `network create` asks for.
struct NetworkRequest {
    std::string name;
    std::string driver = "bridge";
    PoolRequest pool;
    bool internal = false;
    bool attachable = false;
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> options;
};

class Networks {
public:
    Networks(const std::string& root, BridgeSettings settings);

    /// Creates a bridge network; on any failure nothing of it is left.
    Result<NetworkRecord> create(const NetworkRequest& request);
    /// Deletes the bridge, the pool and the record (callers check for attached containers).
    Status remove(const NetworkRecord& record);
    /// A bridge network ready for attachments: the default one gets its pool on first use, and
    /// a Linux bridge missing since a reboot is created again.
    Result<NetworkRecord> prepare(const std::string& ref);

    NetworkStore& store() { return store_; }
    IpamStore& ipam() { return ipam_; }

private:
    Result<Ipv4Subnet> choose_subnet(const std::vector<Ipv4Subnet>& host_routes) const;
    Status ensure_bridge(const NetworkRecord& record, bool adopt_existing);

    NetworkStore store_;
    IpamStore ipam_;
    BridgeSettings settings_;
};

}  // namespace network
