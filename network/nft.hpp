#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "network/nft_rules.hpp"

namespace network {

// Applying berth's rules (all in the calling thread's network namespace):
//
//   apply(state)                                  teardown()
//     check published port conflicts                one transaction:
//     sysctls: ip_forward, route_localnet             delete table inet/bridge berth
//     one transaction:                                delete berth's DOCKER-USER rules
//       replace table inet berth (+ bridge berth)
//       delete old berth rules in DOCKER-USER
//       insert new ones (only if Docker's chain exists)

/// Runs `script` through libnftables as one transaction. The error carries nft's own message:
/// "nftables: Error: Could not process rule: …" (EINVAL).
Status run_nft(const std::string& script);

/// Output of an nft listing command with rule handles shown, e.g. "list chain ip filter X".
Result<std::string> nft_list(const std::string& command);

/// PermissionFamily::inet when br_netfilter passes bridged IPv4 to the IP hooks in this
/// namespace (net.bridge.bridge-nf-call-iptables = 1), bridge otherwise.
PermissionFamily detect_permission_family();

/// Gives `requested` concrete host ports (ephemeral picked, ranges searched, explicit ones
/// checked by binding) that also clash with no port already published in `current`. Nothing
/// is created, so this runs before a container is.
Result<std::vector<PortBinding>> reserve_host_ports(const NftState& current,
                                                    std::vector<PortBinding> requested);

/// Makes the kernel's rules match `state` in one transaction (see the diagram above), and sets
/// ip_forward and each non-internal bridge's route_localnet.
Status apply(const NftState& state);

/// Removes everything berth added to nftables.
Status teardown();

}  // namespace network
