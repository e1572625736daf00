#include "network/bridge_rules.hpp"

namespace network {

// No-ops until the nftables module provides the rules (see the header).
Status apply_network_rules(const NetworkRecord&) { return engine::sys::ok(); }
void remove_network_rules(const NetworkRecord&) {}
Status apply_endpoint_rules(const NetworkRecord&, const std::string&, const std::string&,
                            const std::string&) {
    return engine::sys::ok();
}
void remove_endpoint_rules(const std::string&, const std::string&) {}

}  // namespace network
