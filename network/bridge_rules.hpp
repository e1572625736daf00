#pragma once

// The one place where packet-filter rules meet network and attachment lifecycles. Masquerade,
// forwarding, isolation between networks and published ports are the nftables module's; until
// it is wired in these do nothing, and the lifecycle code already calls them at the right time.

#include <string>

#include "network/network_store.hpp"

namespace network {

/// After a bridge network's Linux bridge exists (create, or re-created after a reboot):
/// masquerade for its subnet unless internal, forwarding from/to its bridge.
Status apply_network_rules(const NetworkRecord& network);
/// Before the bridge goes away; never fails (leftovers are logged by the implementation).
void remove_network_rules(const NetworkRecord& network);

/// After a container's veth `host_veth` with `address` is up on `network`'s bridge.
Status apply_endpoint_rules(const NetworkRecord& network, const std::string& container_id,
                            const std::string& host_veth, const std::string& address);
/// When that attachment is torn down; never fails.
void remove_endpoint_rules(const std::string& network_id, const std::string& container_id);

}  // namespace network
