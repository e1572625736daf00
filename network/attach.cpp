#include "network/attach.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include <thread>

#include "engine/sys/files.hpp"
#include "engine/sys/unique_fd.hpp"
#include "network/nl_objects.hpp"

namespace network {

using engine::sys::UniqueFd;

bool netns_mounted(const std::string& path) {
    struct statfs fs {};
    return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == static_cast<decltype(fs.f_type)>(NSFS_MAGIC);
}

Status create_netns(const std::string& path) {
    if (netns_mounted(path)) return engine::sys::ok();
    auto slash = path.find_last_of('/');
    if (auto made = engine::sys::make_dirs(path.substr(0, slash), 0700); !made) return made;
    {
        UniqueFd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
        if (!file) return engine::sys::errno_error("create {}", path);
    }
    Status result = engine::sys::ok();
    // unshare() moves only the calling thread into the new namespace; a thread that ends right
    // after the bind mount leaves no thread of ours behind in it.
    std::thread worker([&] {
        if (::unshare(CLONE_NEWNET) != 0) {
            result = engine::sys::errno_error("create network namespace");
            return;
        }
        if (::mount("/proc/thread-self/ns/net", path.c_str(), nullptr, MS_BIND, nullptr) != 0)
            result = engine::sys::errno_error("bind network namespace to {}", path);
    });
    worker.join();
    if (!result) ::unlink(path.c_str());
    return result;
}

Status remove_netns(const std::string& path) {
    // A namespace may be mounted more than once if two starts raced; unmount every layer.
    while (::umount2(path.c_str(), MNT_DETACH) == 0) {
    }
    if (errno != EINVAL && errno != ENOENT)
        return engine::sys::errno_error("unmount network namespace {}", path);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return engine::sys::errno_error("remove {}", path);
    return engine::sys::ok();
}

std::string host_veth_name(const std::string& container_id, int slot) {
    return fmt::format("vb{}-{}", container_id.substr(0, 9), slot);
}

std::string peer_veth_name(const std::string& container_id, int slot) {
    return fmt::format("vc{}-{}", container_id.substr(0, 9), slot);
}

namespace {

// Docker's MAC for an address: 02:42 and the four address bytes. Deterministic, so a peer's
// neighbour cache stays right when a container comes back with the same address.
std::string mac_of(Ipv4Address address) {
    std::uint32_t v = address.value;
    return fmt::format("02:42:{:02x}:{:02x}:{:02x}:{:02x}", v >> 24, (v >> 16) & 0xff,
                       (v >> 8) & 0xff, v & 0xff);
}

Status set_mac(int netns_fd, const std::string& name, const std::string& mac) {
    return run_in_netns(netns_fd, [&](RouteSocket& sock) -> Status {
        auto link = get_link(sock, name);
        if (!link) return link.error();
        nl_addr* raw = nullptr;
        if (int err = nl_addr_parse(mac.c_str(), AF_LLC, &raw); err < 0)
            return nl_error(err, fmt::format("parse MAC address {}", mac));
        NlPtr<nl_addr> addr(raw);
        NlPtr<rtnl_link> change(rtnl_link_alloc());
        if (!change) return Error{ENOMEM, "allocate link: out of memory"};
        rtnl_link_set_addr(change.get(), addr.get());
        if (int err = rtnl_link_change(sock.get(), link.value().get(), change.get(), 0); err < 0)
            return nl_error(err, fmt::format("set MAC address of \"{}\" to {}", name, mac));
        return engine::sys::ok();
    });
}

}  // namespace

Result<std::string> attach_endpoint(const std::string& netns_path, const Endpoint& endpoint) {
    UniqueFd netns(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns) return engine::sys::errno_error("open network namespace {}", netns_path);
    auto sock = RouteSocket::open();
    if (!sock) return sock.error();
    VethAttachment attachment{endpoint.bridge, endpoint.host_veth, endpoint.mtu, netns.get(),
                              ContainerInterface{endpoint.peer_veth, endpoint.interface,
                                                 {endpoint.address, endpoint.prefix},
                                                 endpoint.gateway}};
    if (auto attached = attach_veth(sock.value(), attachment); !attached) return attached.error();
    const std::string mac = mac_of(endpoint.address);
    if (auto set = set_mac(netns.get(), endpoint.interface, mac); !set) {
        (void)delete_link(sock.value(), endpoint.host_veth);
        return std::move(set).context(fmt::format("in {}", netns_path)).error();
    }
    return mac;
}

Status detach_endpoint(const std::string& host_veth) {
    auto sock = RouteSocket::open();
    if (!sock) return sock.error();
    auto deleted = delete_link(sock.value(), host_veth);
    if (!deleted && deleted.error().sys_errno == ENODEV) return engine::sys::ok();
    return deleted;
}

}  // namespace network
