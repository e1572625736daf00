#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/result.hpp"

namespace network {

using engine::Error;
using engine::Result;
using engine::Status;

/// An IPv4 address held in host byte order, so arithmetic and ordering are plain integer ones.
struct Ipv4Address {
    std::uint32_t value = 0;

    /// Dotted quad, "172.17.0.1".
    std::string to_string() const;
    auto operator<=>(const Ipv4Address&) const = default;
};

/// An IPv4 network: base address (host bits zero) plus prefix length 0-32.
struct Ipv4Subnet {
    Ipv4Address base;
    int prefix = 0;

    /// The netmask as a host-order integer (0 for /0).
    std::uint32_t mask() const;
    /// The last address of the subnet (the broadcast address for prefixes up to /30).
    Ipv4Address last() const;
    bool contains(Ipv4Address address) const;
    /// True when `other` lies entirely inside this subnet.
    bool contains(const Ipv4Subnet& other) const;
    bool overlaps(const Ipv4Subnet& other) const;
    /// CIDR form, "172.17.0.0/16".
    std::string to_string() const;
    auto operator<=>(const Ipv4Subnet&) const = default;
};

/// Parses a dotted quad; error "invalid IPv4 address \"<text>\"".
Result<Ipv4Address> parse_ipv4(std::string_view text);

/// Parses CIDR notation; error "invalid subnet \"<text>\"" for bad syntax or prefix and
/// "invalid subnet \"10.0.0.1/24\": host bits set, did you mean \"10.0.0.0/24\"" when the
/// address is not the network's base.
Result<Ipv4Subnet> parse_subnet(std::string_view text);

/// An IPv6 address (network byte order), parsed and printed in canonical RFC 5952 form.
struct Ipv6Address {
    std::uint8_t bytes[16] = {};

    std::string to_string() const;
    auto operator<=>(const Ipv6Address&) const = default;
};

/// Parses an IPv6 address; error "invalid IPv6 address \"<text>\"".
Result<Ipv6Address> parse_ipv6(std::string_view text);

/// Docker's default address pools in the order they are tried: 172.17.0.0/16 … 172.31.0.0/16,
/// then 192.168.0.0/16 split into /20s.
const std::vector<Ipv4Subnet>& default_pools();

/// The addressing of one network: its subnet, gateway, the optional range containers get
/// addresses from, and the addresses handed out (address → owner, e.g. an endpoint id).
struct NetworkPool {
    Ipv4Subnet subnet;
    Ipv4Address gateway;
    std::optional<Ipv4Subnet> ip_range;
    std::map<Ipv4Address, std::string> allocated;
};

/// Every network's pool, keyed by network name; std::map keeps iteration deterministic.
struct IpamState {
    std::map<std::string, NetworkPool> networks;
};

/// What the user asked for (`--subnet`, `--gateway`, `--ip-range`); empty means "choose".
struct PoolRequest {
    std::optional<std::string> subnet;
    std::optional<std::string> gateway;
    std::optional<std::string> ip_range;
};

/// Adds network `name` to `state`. With no subnet requested, takes the first default pool that
/// overlaps neither another network nor a host route (default routes are ignored); a requested
/// subnet must overlap no other network (the error names it). The gateway defaults to the
/// subnet's first host address; gateway and range must lie inside the subnet.
Result<NetworkPool> add_network(IpamState& state, const std::string& name, const PoolRequest& request,
                                const std::vector<Ipv4Subnet>& host_routes);

/// Removes network `name` and everything allocated in it; error if unknown.
Status remove_network(IpamState& state, const std::string& name);

/// Hands `owner` an address in network `name`: `requested` if given (it must be inside the
/// subnet, not the gateway/network/broadcast address and free), else the lowest free address of
/// the range (or subnet). Errors: unknown network, "address already in use", pool exhausted.
Result<Ipv4Address> allocate_address(IpamState& state, const std::string& name,
                                     const std::string& owner,
                                     std::optional<Ipv4Address> requested = std::nullopt);

/// Returns `address` in network `name` to the pool; error if it was not allocated.
Status release_address(IpamState& state, const std::string& name, Ipv4Address address);

/// The state as JSON text (stable order) and back; parse errors name the offending entry.
std::string ipam_to_json(const IpamState& state);
Result<IpamState> ipam_from_json(std::string_view text);

}  // namespace network
