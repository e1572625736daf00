#pragma once

// libnl object deleters; private to the network module's netlink code.

#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "network/netlink.hpp"

namespace network {

template <>
struct NlDeleter<rtnl_link> {
    void operator()(rtnl_link* link) const { rtnl_link_put(link); }
};
template <>
struct NlDeleter<rtnl_addr> {
    void operator()(rtnl_addr* addr) const { rtnl_addr_put(addr); }
};
template <>
struct NlDeleter<rtnl_route> {
    void operator()(rtnl_route* route) const { rtnl_route_put(route); }
};
template <>
struct NlDeleter<rtnl_nexthop> {
    void operator()(rtnl_nexthop* nexthop) const { rtnl_route_nh_free(nexthop); }
};
template <>
struct NlDeleter<nl_addr> {
    void operator()(nl_addr* addr) const { nl_addr_put(addr); }
};
template <>
struct NlDeleter<nl_cache> {
    void operator()(nl_cache* cache) const { nl_cache_free(cache); }
};

/// The kernel's current view of link `name`; ENODEV when absent.
Result<NlPtr<rtnl_link>> get_link(RouteSocket& sock, const std::string& name);

/// An nl_addr for an IPv4 address with `prefix`.
Result<NlPtr<nl_addr>> make_nl_addr(Ipv4Address address, int prefix);

}  // namespace network
