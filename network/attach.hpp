#pragma once

// A container's network namespace and its attachments to bridge networks. The namespace is a
// bind mount of an nsfs file, so it outlives the processes in it until it is unmounted.

#include <optional>
#include <string>

#include "network/ipam.hpp"

namespace network {

/// Creates a new, empty network namespace bind-mounted at `path` (made an empty file first).
/// An existing mount at `path` is kept (EEXIST is not an error).
Status create_netns(const std::string& path);

/// Unmounts and deletes `path`; a missing namespace is not an error.
Status remove_netns(const std::string& path);

/// True when `path` is a mounted network namespace.
bool netns_mounted(const std::string& path);

/// Linux interface names for attachment `slot` (0-999) of container `container_id`: the host
/// end, and the temporary name of the container end before it is renamed to eth<slot>.
std::string host_veth_name(const std::string& container_id, int slot);
std::string peer_veth_name(const std::string& container_id, int slot);

/// One attachment of a container to a bridge network.
struct Endpoint {
    std::string bridge;
    std::string host_veth;
    std::string peer_veth;
    std::string interface;  ///< eth0, eth1, ...
    Ipv4Address address;
    int prefix = 0;
    std::optional<Ipv4Address> gateway;  ///< set for the network that carries the default route
    int mtu = 0;
};

/// Creates the veth pair, plugs the host end into the bridge and configures the container end
/// inside the namespace at `netns_path`. Returns the container interface's MAC address,
/// Docker's 02:42 followed by the four address bytes.
/// On failure nothing is left.
Result<std::string> attach_endpoint(const std::string& netns_path, const Endpoint& endpoint);

/// Deletes the host end of an attachment (its peer goes with it); a missing one is not an error.
Status detach_endpoint(const std::string& host_veth);

}  // namespace network
