#pragma once

#include <string>
#include <vector>

#include "network/ipam.hpp"
#include "network/ports.hpp"

namespace network {

/// One berth bridge network as the firewall sees it.
struct NftNetwork {
    std::string name;
    std::string bridge;    ///< the bridge interface, e.g. "berth0"
    Ipv4Subnet subnet;
    bool internal = false; ///< no traffic in or out of the bridge, no masquerade, no ports
};

/// A container's address on one network and the ports published to it (host ports resolved).
struct NftEndpoint {
    std::string container;
    std::string network;   ///< NftNetwork::name
    Ipv4Address address;
    std::vector<PortBinding> ports;
};

/// One x-allow entry resolved to addresses: `sources` may open `protocol`/`port` on the
/// protected address.
struct NftAllow {
    std::vector<Ipv4Address> sources;
    Protocol protocol = Protocol::tcp;
    std::uint16_t port = 0;
};

/// A container address that accepts connections from other containers only as listed.
struct NftProtection {
    Ipv4Address address;
    std::vector<NftAllow> allow;
};

/// Where same-bridge permissions are enforced. With br_netfilter calling the IP hooks for bridged
/// traffic, the inet forward chain sees it with conntrack; without it only the bridge family
/// sees it, and this kernel's bridge family may have no conntrack, so replies are matched
/// statelessly by source port there.
enum class PermissionFamily { inet, bridge };

/// Everything berth's rules are made from.
struct NftState {
    std::vector<NftNetwork> networks;
    std::vector<NftEndpoint> endpoints;
    std::vector<NftProtection> protections;
    PermissionFamily permission_family = PermissionFamily::inet;
};

/// Checks that no host ip:port/proto is published twice (a wildcard clashes with every
/// address). Error (EADDRINUSE): "port 8080/tcp is already published by container \"web\"".
Status check_published_conflicts(const NftState& state);

/// The nft script that replaces berth's tables (`inet berth`, `bridge berth`) in one
/// transaction: each is added, deleted and created again, so the script works whether or not
/// the table exists. Unknown networks of endpoints are skipped.
std::string compile_ruleset(const NftState& state);

/// The script that deletes berth's tables (added first so deleting never fails).
std::string teardown_script();

/// Comment that marks berth's rules in chains berth does not own (Docker's DOCKER-USER).
inline constexpr const char* kForeignRuleComment = "berth";

/// Rules for Docker's `ip filter DOCKER-USER` chain: accept traffic in and out of berth's bridges
/// so Docker's FORWARD policy DROP does not override berth (berth's own forward chain still
/// drops what it must: a drop in any base chain is final).
std::vector<std::string> docker_user_rules(const NftState& state);

/// Handles of berth's rules in `nft -a list chain ip filter DOCKER-USER` output.
std::vector<int> berth_rule_handles(std::string_view listing);

}  // namespace network
