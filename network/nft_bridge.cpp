// Per-bridge br_netfilter switch. libnl has no setter for IFLA_BR_NF_CALL_IPTABLES, so the
// RTM_NEWLINK message is built by hand (same as `ip link set BR type bridge nf_call_iptables 1`).
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "network/netlink.hpp"
#include "network/nft.hpp"

namespace network {

Status enable_bridge_netfilter(const std::string& bridge) {
    auto sock = RouteSocket::open();
    if (!sock) return sock.error();
    unsigned index = ::if_nametoindex(bridge.c_str());
    if (index == 0) return engine::sys::errno_error("look up bridge \"{}\"", bridge);
    std::unique_ptr<nl_msg, void (*)(nl_msg*)> msg(::nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_ACK),
                                                   ::nlmsg_free);
    if (!msg) return Error{ENOMEM, "netfilter on bridge: out of memory"};
    ifinfomsg info{};
    info.ifi_family = AF_UNSPEC;
    info.ifi_index = static_cast<int>(index);
    if (::nlmsg_append(msg.get(), &info, sizeof info, NLMSG_ALIGNTO) < 0)
        return Error{ENOMEM, "netfilter on bridge: out of memory"};
    auto* linkinfo = ::nla_nest_start(msg.get(), IFLA_LINKINFO);
    ::nla_put_string(msg.get(), IFLA_INFO_KIND, "bridge");
    auto* data = ::nla_nest_start(msg.get(), IFLA_INFO_DATA);
    ::nla_put_u8(msg.get(), IFLA_BR_NF_CALL_IPTABLES, 1);
    ::nla_nest_end(msg.get(), data);
    ::nla_nest_end(msg.get(), linkinfo);
    int err = ::nl_send_sync(sock.value().get(), msg.release());  // frees the message
    if (err < 0) return nl_error(err, fmt::format("enable netfilter on bridge \"{}\"", bridge));
    return engine::sys::ok();
}

}  // namespace network
