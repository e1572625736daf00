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

/// PermissionFamily::inet when br_netfilter is loaded (berth then turns it on for its own
/// bridges, leaving the namespace-wide bridge-nf-call-iptables alone), bridge otherwise.
PermissionFamily detect_permission_family();

/// Makes br_netfilter pass `bridge`'s bridged IPv4 through the IP hooks (the per-bridge
/// nf_call_iptables option), so the inet table sees same-bridge traffic with conntrack.
Status enable_bridge_netfilter(const std::string& bridge);

/// Gives `requested` concrete host ports (ephemeral picked, ranges searched, explicit ones
/// checked by binding) that also clash with no port already published in `current`. Nothing
/// is created, so this runs before a container is.
Result<std::vector<PortBinding>> reserve_host_ports(const NftState& current,
                                                    std::vector<PortBinding> requested);

/// Makes the kernel's rules match `state` in one transaction (see the diagram above), and sets
/// ip_forward, each non-internal bridge's route_localnet and, for the inet family, each
/// bridge's nf_call_iptables. With br_netfilter on, bridge ports need hairpin mode for a
/// container to reach its own published port (the DNAT'd frame goes back out its own port).
Status apply(const NftState& state);

/// Removes everything berth added to nftables.
Status teardown();

}  // namespace network
