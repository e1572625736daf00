// Addresses and routes over rtnetlink.
#include <arpa/inet.h>
#include <linux/rtnetlink.h>

#include <cstring>

#include "network/netlink.hpp"
#include "network/nl_objects.hpp"

namespace network {

Result<NlPtr<nl_addr>> make_nl_addr(Ipv4Address address, int prefix) {
    std::uint32_t be = htonl(address.value);
    NlPtr<nl_addr> addr(nl_addr_build(AF_INET, &be, sizeof be));
    if (!addr) return Error{ENOMEM, "build netlink address: out of memory"};
    nl_addr_set_prefixlen(addr.get(), prefix);
    return addr;
}

Status add_address(RouteSocket& sock, const std::string& name, const InterfaceAddress& address) {
    auto what = fmt::format("add address {}/{} to link \"{}\"", address.address.to_string(),
                            address.prefix, name);
    auto link = get_link(sock, name);
    if (!link) return std::move(link).context(what).error();
    auto local = make_nl_addr(address.address, address.prefix);
    if (!local) return local.error();
    NlPtr<rtnl_addr> addr(rtnl_addr_alloc());
    if (!addr) return Error{ENOMEM, what + ": out of memory"};
    rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(link.value().get()));
    if (int err = rtnl_addr_set_local(addr.get(), local.value().get()); err < 0)
        return nl_error(err, what);
    rtnl_addr_set_prefixlen(addr.get(), address.prefix);
    // `ip addr add … brd +` semantics, as Docker sets on its bridges; /31 and /32 have none.
    if (address.prefix <= 30) {
        Ipv4Subnet subnet{address.address, address.prefix};
        auto broadcast = make_nl_addr(Ipv4Address{address.address.value | ~subnet.mask()}, 32);
        if (!broadcast) return broadcast.error();
        rtnl_addr_set_broadcast(addr.get(), broadcast.value().get());
    }
    if (int err = rtnl_addr_add(sock.get(), addr.get(), 0); err < 0) return nl_error(err, what);
    return engine::sys::ok();
}

Status add_default_route(RouteSocket& sock, Ipv4Address gateway) {
    auto what = fmt::format("add default route via {}", gateway.to_string());
    auto dst = make_nl_addr(Ipv4Address{0}, 0);
    auto via = make_nl_addr(gateway, 32);
    if (!dst) return dst.error();
    if (!via) return via.error();
    NlPtr<rtnl_route> route(rtnl_route_alloc());
    NlPtr<rtnl_nexthop> nexthop(rtnl_route_nh_alloc());
    if (!route || !nexthop) return Error{ENOMEM, what + ": out of memory"};
    rtnl_route_set_family(route.get(), AF_INET);
    rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
    rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
    rtnl_route_set_protocol(route.get(), RTPROT_BOOT);
    rtnl_route_set_type(route.get(), RTN_UNICAST);
    if (int err = rtnl_route_set_dst(route.get(), dst.value().get()); err < 0)
        return nl_error(err, what);
    rtnl_route_nh_set_gateway(nexthop.get(), via.value().get());
    rtnl_route_add_nexthop(route.get(), nexthop.release());  // the route owns it from here
    if (int err = rtnl_route_add(sock.get(), route.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        return nl_error(err, what);
    return engine::sys::ok();
}

namespace {

std::optional<Ipv4Subnet> destination_of(rtnl_route* route) {
    nl_addr* dst = rtnl_route_get_dst(route);
    // The default route may come without a destination attribute at all.
    if (!dst || nl_addr_get_len(dst) == 0) return Ipv4Subnet{};
    if (nl_addr_get_len(dst) != 4) return std::nullopt;
    std::uint32_t be = 0;
    std::memcpy(&be, nl_addr_get_binary_addr(dst), sizeof be);
    Ipv4Subnet subnet{Ipv4Address{ntohl(be)}, static_cast<int>(nl_addr_get_prefixlen(dst))};
    subnet.base.value &= subnet.mask();
    return subnet;
}

}  // namespace

Result<std::vector<Route>> list_ipv4_routes(RouteSocket& sock) {
    nl_cache* raw = nullptr;
    if (int err = rtnl_route_alloc_cache(sock.get(), AF_INET, 0, &raw); err < 0)
        return nl_error(err, "list IPv4 routes");
    NlPtr<nl_cache> cache(raw);
    std::vector<Route> routes;
    for (nl_object* obj = nl_cache_get_first(cache.get()); obj; obj = nl_cache_get_next(obj)) {
        auto* route = reinterpret_cast<rtnl_route*>(obj);
        // The local table holds the host's own and broadcast addresses, not reachable networks.
        if (rtnl_route_get_table(route) != RT_TABLE_MAIN) continue;
        if (auto dst = destination_of(route)) routes.push_back(Route{*dst});
    }
    return routes;
}

Result<std::vector<Ipv4Subnet>> host_route_subnets(RouteSocket& sock) {
    auto routes = list_ipv4_routes(sock);
    if (!routes) return routes.error();
    std::vector<Ipv4Subnet> out;
    for (const auto& route : routes.value()) out.push_back(route.destination);
    return out;
}

}  // namespace network
