// Work inside another network namespace, and the veth attachment built on it.
#include <sched.h>

#include <thread>

#include "network/log.hpp"
#include "network/netlink.hpp"

namespace network {

Status run_in_netns(int netns_fd, const std::function<Status(RouteSocket&)>& work) {
    Status result = engine::sys::ok();
    // setns() moves only the calling thread; doing it on a thread that then ends means no
    // thread of ours is ever left in the container's namespace.
    std::thread worker([&] {
        if (::setns(netns_fd, CLONE_NEWNET) != 0) {
            result = engine::sys::errno_error("enter network namespace (fd {})", netns_fd);
            return;
        }
        auto sock = RouteSocket::open();  // bound to the namespace it is created in
        if (!sock) {
            result = sock.error();
            return;
        }
        result = work(sock.value());
    });
    worker.join();
    return result;
}

Status configure_in_netns(int netns_fd, const ContainerInterface& interface) {
    if (auto valid = validate_link_name(interface.name); !valid) return valid;
    return run_in_netns(netns_fd, [&](RouteSocket& sock) -> Status {
        if (interface.current_name != interface.name) {
            if (auto renamed = rename_link(sock, interface.current_name, interface.name); !renamed)
                return renamed;
        }
        if (auto added = add_address(sock, interface.name, interface.address); !added) return added;
        if (auto up = set_link_up(sock, "lo"); !up) return up;
        if (auto up = set_link_up(sock, interface.name); !up) return up;
        if (interface.gateway) return add_default_route(sock, *interface.gateway);
        return engine::sys::ok();
    });
}

namespace {

Status plug_veth(RouteSocket& sock, const VethAttachment& attachment) {
    if (auto master = set_master(sock, attachment.host_name, attachment.bridge); !master)
        return master;
    if (auto up = set_link_up(sock, attachment.host_name); !up) return up;
    if (auto moved = move_to_netns(sock, attachment.container.current_name, attachment.netns_fd);
        !moved)
        return moved;
    return configure_in_netns(attachment.netns_fd, attachment.container);
}

}  // namespace

Status attach_veth(RouteSocket& sock, const VethAttachment& attachment) {
    auto what = fmt::format("attach veth \"{}\" to bridge \"{}\"", attachment.host_name,
                            attachment.bridge);
    if (auto created = create_veth(sock, attachment.host_name, attachment.container.current_name,
                                   attachment.mtu);
        !created)
        return std::move(created).context(what);
    auto plugged = plug_veth(sock, attachment);
    if (plugged) return plugged;
    // Deleting the host end removes the peer too, wherever it is by now.
    if (auto removed = delete_link(sock, attachment.host_name); !removed)
        log().warn("[{}] cleanup after failed attach: {}", attachment.host_name,
                   removed.error().message);
    return std::move(plugged).context(what);
}

}  // namespace network
