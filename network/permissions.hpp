#pragma once

#include <map>
#include <string>
#include <vector>

#include "network/nft_rules.hpp"

namespace network {

/// One compose `x-allow` entry: containers of service `from` may reach `ports`
/// ("5432/tcp", "53/udp", "8080" = tcp).
struct AllowEntry {
    std::string from;
    std::vector<std::string> ports;
};

/// Turns every service's x-allow into protections keyed on container addresses: each address
/// of a service that has x-allow (even an empty one: default deny) is protected, and the
/// current addresses of `from` become the sources. Call again whenever containers come or go.
/// Errors (EINVAL): "x-allow of service \"db\": unknown service \"apx\"" and
/// "x-allow of service \"db\": invalid port \"x/tcp\"".
Result<std::vector<NftProtection>> resolve_permissions(
    const std::map<std::string, std::vector<AllowEntry>>& allow_by_service,
    const std::map<std::string, std::vector<Ipv4Address>>& addresses_by_service);

}  // namespace network
