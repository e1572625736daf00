#pragma once

#include <functional>
#include <string>

#include "network/ipam.hpp"

namespace network {

/// IPAM state persisted at `<root>/network/ipam.json`. Every operation takes an exclusive flock
/// on `<root>/network/ipam.lock`, loads, changes and saves (write_file_atomic) before unlocking,
/// so two processes never hand out the same address. The lock is a separate file because the
/// atomic rename replaces ipam.json's inode, and a lock on a replaced inode protects nothing.
class IpamStore {
public:
    /// `root` is berth's state root; nothing is touched until the first operation.
    explicit IpamStore(std::string root);

    /// The current state (empty when no file exists yet).
    Result<IpamState> load() const;

    /// Runs `change` on the current state under the lock; saves only if it succeeds.
    Status update(const std::function<Status(IpamState&)>& change);

    /// network::add_network on the stored state.
    Result<NetworkPool> add_network(const std::string& name, const PoolRequest& request,
                                    const std::vector<Ipv4Subnet>& host_routes);
    /// network::remove_network on the stored state.
    Status remove_network(const std::string& name);
    /// network::allocate_address on the stored state.
    Result<Ipv4Address> allocate(const std::string& name, const std::string& owner,
                                 std::optional<Ipv4Address> requested = std::nullopt);
    /// network::release_address on the stored state.
    Status release(const std::string& name, Ipv4Address address);

    /// Path of the state file.
    std::string state_path() const;

private:
    std::string dir_;
};

}  // namespace network
