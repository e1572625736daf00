#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "network/ipam.hpp"

struct nl_sock;

namespace network {

/// Deleters for libnl objects, so every object lives in an NlPtr and is released on every path.
template <typename T>
struct NlDeleter;
template <typename T>
using NlPtr = std::unique_ptr<T, NlDeleter<T>>;

template <>
struct NlDeleter<nl_sock> {
    void operator()(nl_sock* sock) const;
};

/// A NETLINK_ROUTE socket, connected in the network namespace of the thread that opened it
/// (a netlink socket stays bound to its creator's namespace for its whole life).
class RouteSocket {
public:
    /// Allocates and connects the socket.
    static Result<RouteSocket> open();
    nl_sock* get() const { return sock_.get(); }

private:
    explicit RouteSocket(NlPtr<nl_sock> sock) : sock_(std::move(sock)) {}
    NlPtr<nl_sock> sock_;
};

/// An error for libnl's negative return code `err`: "<what>: <libnl message>", with the
/// matching errno where there is one (EIO otherwise).
Error nl_error(int err, std::string what);

/// Checks a Linux interface name: 1-15 bytes (IFNAMSIZ less the NUL), no '/', ':' or
/// whitespace, not "." or "..". Error: "invalid link name \"<name>\": <why>".
Status validate_link_name(std::string_view name);

/// An IPv4 address with the prefix length of its subnet, as configured on an interface.
struct InterfaceAddress {
    Ipv4Address address;
    int prefix = 0;
};

/// Creates bridge `name` with `mtu` (0 = kernel default) and brings it up. EEXIST if present.
Status create_bridge(RouteSocket& sock, const std::string& name, int mtu = 0);

/// Deletes link `name` (a veth's peer goes with it). ENODEV if it does not exist.
Status delete_link(RouteSocket& sock, const std::string& name);

/// True when link `name` exists in the socket's namespace.
Result<bool> link_exists(RouteSocket& sock, const std::string& name);

/// Sets link `name` administratively up.
Status set_link_up(RouteSocket& sock, const std::string& name);

/// Renames link `name` to `new_name`; the link must be down (the kernel refuses otherwise).
Status rename_link(RouteSocket& sock, const std::string& name, const std::string& new_name);

/// Adds `address` to link `name`.
Status add_address(RouteSocket& sock, const std::string& name, const InterfaceAddress& address);

/// Makes bridge `bridge` the master of link `name` (attaches the port).
Status set_master(RouteSocket& sock, const std::string& name, const std::string& bridge);

/// Creates a veth pair `host_name` <-> `peer_name` with `mtu` (0 = default); both stay down.
Status create_veth(RouteSocket& sock, const std::string& host_name, const std::string& peer_name,
                   int mtu = 0);

/// Moves link `name` into the network namespace open at `netns_fd`.
Status move_to_netns(RouteSocket& sock, const std::string& name, int netns_fd);

/// Adds a default route via `gateway` (it must be reachable on a configured subnet).
Status add_default_route(RouteSocket& sock, Ipv4Address gateway);

/// One IPv4 route of the main table: its destination (0.0.0.0/0 for the default route).
struct Route {
    Ipv4Subnet destination;
};

/// The IPv4 routes of the main routing table, for IPAM's overlap check.
Result<std::vector<Route>> list_ipv4_routes(RouteSocket& sock);

/// The destinations of list_ipv4_routes, the form add_network takes.
Result<std::vector<Ipv4Subnet>> host_route_subnets(RouteSocket& sock);

/// How the container end of a veth is set up inside its namespace.
struct ContainerInterface {
    std::string current_name;        ///< the peer's name when it arrives in the namespace
    std::string name = "eth0";       ///< what it is renamed to
    InterfaceAddress address;
    std::optional<Ipv4Address> gateway;  ///< default route via this address when set
};

/// Inside the namespace at `netns_fd`: renames the interface, adds its address, brings it and
/// `lo` up and adds the default route. Runs on a short-lived thread that setns()es, so the
/// calling thread never leaves its own namespace.
Status configure_in_netns(int netns_fd, const ContainerInterface& interface);

/// Runs `work` with a route socket opened inside the namespace at `netns_fd`, on a thread of
/// its own (see configure_in_netns).
Status run_in_netns(int netns_fd, const std::function<Status(RouteSocket&)>& work);

// attach_veth, in order (any failure after step 1 deletes the pair again):
//
//   host netns                                  container netns (netns_fd)
//   1. veth  host_name <──────────────> current_name
//   2. host_name master = bridge, up
//   3. current_name ── moved ──────────────────► current_name
//                                               4. (setns thread) rename → name,
//                                                  address, lo up, name up, default route

/// Everything for one container attachment: a veth `host_name` <-> `container.current_name`,
/// the host end attached to `bridge` and up, the other end moved to `netns_fd` and configured.
/// On failure the pair is deleted again.
struct VethAttachment {
    std::string bridge;
    std::string host_name;
    int mtu = 0;
    int netns_fd = -1;
    ContainerInterface container;
};
Status attach_veth(RouteSocket& sock, const VethAttachment& attachment);

}  // namespace network
