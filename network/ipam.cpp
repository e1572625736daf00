#include "network/ipam.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace network {

namespace {

Error invalid(std::string what) { return Error{EINVAL, std::move(what)}; }

}  // namespace

std::string Ipv4Address::to_string() const {
    return fmt::format("{}.{}.{}.{}", value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                       value & 0xff);
}

std::uint32_t Ipv4Subnet::mask() const {
    // Shifting a 32-bit value by 32 is undefined, so /0 is its own case.
    return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
}

Ipv4Address Ipv4Subnet::last() const { return Ipv4Address{base.value | ~mask()}; }

bool Ipv4Subnet::contains(Ipv4Address address) const {
    return (address.value & mask()) == base.value;
}

bool Ipv4Subnet::contains(const Ipv4Subnet& other) const {
    return other.prefix >= prefix && contains(other.base);
}

bool Ipv4Subnet::overlaps(const Ipv4Subnet& other) const {
    return contains(other.base) || other.contains(base);
}

std::string Ipv4Subnet::to_string() const { return fmt::format("{}/{}", base.to_string(), prefix); }

Result<Ipv4Address> parse_ipv4(std::string_view text) {
    // inet_pton accepts exactly four decimal parts, no leading zeros: stricter than inet_aton.
    in_addr addr{};
    std::string copy(text);
    if (::inet_pton(AF_INET, copy.c_str(), &addr) != 1)
        return invalid(fmt::format("invalid IPv4 address \"{}\"", text));
    return Ipv4Address{ntohl(addr.s_addr)};
}

Result<Ipv4Subnet> parse_subnet(std::string_view text) {
    auto bad = [&] { return invalid(fmt::format("invalid subnet \"{}\"", text)); };
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return bad();
    auto address = parse_ipv4(text.substr(0, slash));
    if (!address) return bad();
    auto digits = text.substr(slash + 1);
    int prefix = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > 32)
        return bad();
    Ipv4Subnet subnet{address.value(), prefix};
    subnet.base.value &= subnet.mask();
    if (subnet.base != address.value())
        return invalid(fmt::format("invalid subnet \"{}\": host bits set, did you mean \"{}\"",
                                   text, subnet.to_string()));
    return subnet;
}

std::string Ipv6Address::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET6, bytes, buf, sizeof buf);
    return buf;
}

Result<Ipv6Address> parse_ipv6(std::string_view text) {
    Ipv6Address address;
    std::string copy(text);
    if (::inet_pton(AF_INET6, copy.c_str(), address.bytes) != 1)
        return invalid(fmt::format("invalid IPv6 address \"{}\"", text));
    return address;
}

const std::vector<Ipv4Subnet>& default_pools() {
    static const std::vector<Ipv4Subnet> pools = [] {
        std::vector<Ipv4Subnet> out;
        for (std::uint32_t second = 17; second <= 31; ++second)
            out.push_back({Ipv4Address{(172u << 24) | (second << 16)}, 16});
        for (std::uint32_t third = 0; third < 256; third += 16)
            out.push_back({Ipv4Address{(192u << 24) | (168u << 16) | (third << 8)}, 20});
        return out;
    }();
    return pools;
}

namespace {

Result<Ipv4Subnet> choose_subnet(const IpamState& state, const std::vector<Ipv4Subnet>& routes) {
    auto taken = [&](const Ipv4Subnet& pool) {
        for (const auto& [name, other] : state.networks)
            if (other.subnet.overlaps(pool)) return true;
        // A default route overlaps everything; Docker ignores it, and so do we.
        for (const auto& route : routes)
            if (route.prefix > 0 && route.overlaps(pool)) return true;
        return false;
    };
    for (const auto& pool : default_pools())
        if (!taken(pool)) return pool;
    return invalid("no available address pool: every default pool overlaps a network or a host route");
}

Result<Ipv4Subnet> requested_subnet(const IpamState& state, const std::string& text) {
    auto subnet = parse_subnet(text);
    if (!subnet) return subnet;
    for (const auto& [name, other] : state.networks)
        if (other.subnet.overlaps(subnet.value()))
            return invalid(fmt::format("subnet \"{}\" overlaps with network \"{}\" ({})", text, name,
                                       other.subnet.to_string()));
    // /31 and /32 leave no host address once network and broadcast are set aside.
    if (subnet.value().prefix > 30)
        return invalid(fmt::format("subnet \"{}\" is too small: a /30 or larger is needed", text));
    return subnet;
}

bool is_host_address(const Ipv4Subnet& subnet, Ipv4Address address) {
    return subnet.contains(address) && address != subnet.base && address != subnet.last();
}

Status fill_gateway_and_range(NetworkPool& pool, const PoolRequest& request) {
    const auto subnet_text = pool.subnet.to_string();
    if (request.ip_range) {
        auto range = parse_subnet(*request.ip_range);
        if (!range) return range.error();
        if (!pool.subnet.contains(range.value()))
            return invalid(fmt::format("ip range \"{}\" is not inside subnet \"{}\"",
                                       *request.ip_range, subnet_text));
        pool.ip_range = range.value();
    }
    pool.gateway = Ipv4Address{pool.subnet.base.value + 1};
    if (request.gateway) {
        auto gateway = parse_ipv4(*request.gateway);
        if (!gateway) return gateway.error();
        if (!is_host_address(pool.subnet, gateway.value()))
            return invalid(fmt::format("gateway \"{}\" is not a host address of subnet \"{}\"",
                                       *request.gateway, subnet_text));
        pool.gateway = gateway.value();
    }
    return engine::sys::ok();
}

Result<NetworkPool*> find_pool(IpamState& state, const std::string& name) {
    auto it = state.networks.find(name);
    if (it == state.networks.end())
        return invalid(fmt::format("network \"{}\" has no address pool", name));
    return &it->second;
}

bool is_free(const NetworkPool& pool, Ipv4Address address) {
    return is_host_address(pool.subnet, address) && address != pool.gateway &&
           !pool.allocated.contains(address);
}

Result<Ipv4Address> check_requested(const NetworkPool& pool, Ipv4Address address) {
    if (!pool.subnet.contains(address))
        return invalid(fmt::format("address is outside subnet \"{}\"", pool.subnet.to_string()));
    if (!is_host_address(pool.subnet, address))
        return invalid("address is the subnet's network or broadcast address");
    if (!is_free(pool, address)) return Error{EADDRINUSE, "address already in use"};
    return address;
}

Result<Ipv4Address> lowest_free(const NetworkPool& pool) {
    const Ipv4Subnet& range = pool.ip_range ? *pool.ip_range : pool.subnet;
    // 64-bit counter: the loop must end after 255.255.255.255 without wrapping.
    for (std::uint64_t v = range.base.value; v <= range.last().value; ++v)
        if (is_free(pool, Ipv4Address{static_cast<std::uint32_t>(v)}))
            return Ipv4Address{static_cast<std::uint32_t>(v)};
    return Error{ENOSPC, fmt::format("no free address left in {}", range.to_string())};
}

}  // namespace

Result<NetworkPool> add_network(IpamState& state, const std::string& name, const PoolRequest& request,
                                const std::vector<Ipv4Subnet>& host_routes) {
    auto context = fmt::format("create address pool for network \"{}\"", name);
    if (state.networks.contains(name)) return invalid(context + ": pool already exists");
    if (!request.subnet && (request.gateway || request.ip_range))
        return invalid(context + ": a gateway or ip range needs an explicit subnet");
    auto subnet = request.subnet ? requested_subnet(state, *request.subnet)
                                 : choose_subnet(state, host_routes);
    if (!subnet) return std::move(subnet).context(context).error();
    NetworkPool pool;
    pool.subnet = subnet.value();
    if (auto filled = fill_gateway_and_range(pool, request); !filled)
        return std::move(filled).context(context).error();
    state.networks.emplace(name, pool);
    return pool;
}

Status remove_network(IpamState& state, const std::string& name) {
    if (state.networks.erase(name) == 0)
        return invalid(fmt::format("remove address pool: network \"{}\" has none", name));
    return engine::sys::ok();
}

Result<Ipv4Address> allocate_address(IpamState& state, const std::string& name,
                                     const std::string& owner, std::optional<Ipv4Address> requested) {
    auto pool = find_pool(state, name);
    if (!pool) return pool.error();
    auto address = requested ? check_requested(*pool.value(), *requested) : lowest_free(*pool.value());
    if (!address) {
        auto what = requested ? fmt::format("allocate {} in network \"{}\"", requested->to_string(), name)
                              : fmt::format("allocate an address in network \"{}\"", name);
        return std::move(address).context(what);
    }
    pool.value()->allocated.emplace(address.value(), owner);
    return address;
}

Status release_address(IpamState& state, const std::string& name, Ipv4Address address) {
    auto pool = find_pool(state, name);
    if (!pool) return pool.error();
    if (pool.value()->allocated.erase(address) == 0)
        return invalid(fmt::format("release {} in network \"{}\": address not allocated",
                                   address.to_string(), name));
    return engine::sys::ok();
}

}  // namespace network
