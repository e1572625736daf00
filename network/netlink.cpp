#include "network/netlink.hpp"

#include <net/if.h>

#include <cctype>

#include "network/nl_objects.hpp"

namespace network {

void NlDeleter<nl_sock>::operator()(nl_sock* sock) const { nl_socket_free(sock); }

namespace {

// libnl keeps only its own NLE_* code; this hand-written table gives callers the errno back for
// the codes an rtnetlink request can produce.
int errno_of(int nle) {
    switch (nle) {
        case NLE_EXIST: return EEXIST;
        case NLE_OBJ_NOTFOUND:
        case NLE_NODEV: return ENODEV;
        case NLE_PERM:
        case NLE_NOACCESS: return EPERM;
        case NLE_BUSY: return EBUSY;
        case NLE_INVAL: return EINVAL;
        case NLE_RANGE: return ERANGE;
        case NLE_NOMEM: return ENOMEM;
        case NLE_AGAIN: return EAGAIN;
        case NLE_OPNOTSUPP: return EOPNOTSUPP;
        case NLE_NOADDR: return EADDRNOTAVAIL;
        default: return EIO;
    }
}

Status link_change(RouteSocket& sock, const std::string& name, rtnl_link* changes,
                   const std::string& what) {
    auto link = get_link(sock, name);
    if (!link) return std::move(link).context(what).error();
    if (int err = rtnl_link_change(sock.get(), link.value().get(), changes, 0); err < 0)
        return nl_error(err, what);
    return engine::sys::ok();
}

}  // namespace

Error nl_error(int err, std::string what) {
    int code = err < 0 ? -err : err;
    return Error{errno_of(code), std::move(what) + ": " + nl_geterror(code)};
}

Result<RouteSocket> RouteSocket::open() {
    NlPtr<nl_sock> sock(nl_socket_alloc());
    if (!sock) return Error{ENOMEM, "allocate netlink socket: out of memory"};
    if (int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0)
        return nl_error(err, "connect rtnetlink socket");
    return RouteSocket(std::move(sock));
}

Status validate_link_name(std::string_view name) {
    auto bad = [&](std::string_view why) {
        return Error{EINVAL, fmt::format("invalid link name \"{}\": {}", name, why)};
    };
    if (name.empty()) return bad("empty");
    if (name.size() >= IFNAMSIZ) return bad(fmt::format("longer than {} characters", IFNAMSIZ - 1));
    if (name == "." || name == "..") return bad("reserved name");
    // The kernel's dev_valid_name(): '/' and ':' would break sysfs paths and alias syntax.
    for (char c : name)
        if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)))
            return bad("contains '/', ':' or whitespace");
    return engine::sys::ok();
}

Result<NlPtr<rtnl_link>> get_link(RouteSocket& sock, const std::string& name) {
    if (auto valid = validate_link_name(name); !valid) return valid.error();
    rtnl_link* raw = nullptr;
    if (int err = rtnl_link_get_kernel(sock.get(), 0, name.c_str(), &raw); err < 0)
        return nl_error(err, fmt::format("look up link \"{}\"", name));
    return NlPtr<rtnl_link>(raw);
}

Result<bool> link_exists(RouteSocket& sock, const std::string& name) {
    auto link = get_link(sock, name);
    if (link) return true;
    if (link.error().sys_errno == ENODEV) return false;
    return link.error();
}

Status create_bridge(RouteSocket& sock, const std::string& name, int mtu) {
    if (auto valid = validate_link_name(name); !valid) return valid;
    auto what = fmt::format("create bridge \"{}\"", name);
    NlPtr<rtnl_link> link(rtnl_link_alloc());
    if (!link) return Error{ENOMEM, what + ": out of memory"};
    rtnl_link_set_name(link.get(), name.c_str());
    if (int err = rtnl_link_set_type(link.get(), "bridge"); err < 0) return nl_error(err, what);
    if (mtu > 0) rtnl_link_set_mtu(link.get(), mtu);
    // The kernel applies ifi_flags on creation, so the bridge comes up in the same request.
    rtnl_link_set_flags(link.get(), IFF_UP);
    if (int err = rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        return nl_error(err, what);
    return engine::sys::ok();
}

Status delete_link(RouteSocket& sock, const std::string& name) {
    if (auto valid = validate_link_name(name); !valid) return valid;
    NlPtr<rtnl_link> link(rtnl_link_alloc());
    if (!link) return Error{ENOMEM, "delete link: out of memory"};
    rtnl_link_set_name(link.get(), name.c_str());
    if (int err = rtnl_link_delete(sock.get(), link.get()); err < 0)
        return nl_error(err, fmt::format("delete link \"{}\"", name));
    return engine::sys::ok();
}

Status set_link_up(RouteSocket& sock, const std::string& name) {
    NlPtr<rtnl_link> changes(rtnl_link_alloc());
    if (!changes) return Error{ENOMEM, "set link up: out of memory"};
    rtnl_link_set_flags(changes.get(), IFF_UP);
    return link_change(sock, name, changes.get(), fmt::format("set link \"{}\" up", name));
}

Status rename_link(RouteSocket& sock, const std::string& name, const std::string& new_name) {
    if (auto valid = validate_link_name(new_name); !valid) return valid;
    NlPtr<rtnl_link> changes(rtnl_link_alloc());
    if (!changes) return Error{ENOMEM, "rename link: out of memory"};
    rtnl_link_set_name(changes.get(), new_name.c_str());
    return link_change(sock, name, changes.get(),
                       fmt::format("rename link \"{}\" to \"{}\"", name, new_name));
}

Status set_master(RouteSocket& sock, const std::string& name, const std::string& bridge) {
    auto what = fmt::format("attach link \"{}\" to bridge \"{}\"", name, bridge);
    auto master = get_link(sock, bridge);
    if (!master) return std::move(master).context(what).error();
    NlPtr<rtnl_link> changes(rtnl_link_alloc());
    if (!changes) return Error{ENOMEM, what + ": out of memory"};
    rtnl_link_set_master(changes.get(), rtnl_link_get_ifindex(master.value().get()));
    return link_change(sock, name, changes.get(), what);
}

Status create_veth(RouteSocket& sock, const std::string& host_name, const std::string& peer_name,
                   int mtu) {
    if (auto valid = validate_link_name(host_name); !valid) return valid;
    if (auto valid = validate_link_name(peer_name); !valid) return valid;
    auto what = fmt::format("create veth pair \"{}\" <-> \"{}\"", host_name, peer_name);
    NlPtr<rtnl_link> link(rtnl_link_veth_alloc());
    if (!link) return Error{ENOMEM, what + ": out of memory"};
    NlPtr<rtnl_link> peer(rtnl_link_veth_get_peer(link.get()));  // takes a reference
    rtnl_link_set_name(link.get(), host_name.c_str());
    rtnl_link_set_name(peer.get(), peer_name.c_str());
    if (mtu > 0) {
        rtnl_link_set_mtu(link.get(), mtu);
        rtnl_link_set_mtu(peer.get(), mtu);
    }
    if (int err = rtnl_link_add(sock.get(), link.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        return nl_error(err, what);
    return engine::sys::ok();
}

Status move_to_netns(RouteSocket& sock, const std::string& name, int netns_fd) {
    NlPtr<rtnl_link> changes(rtnl_link_alloc());
    if (!changes) return Error{ENOMEM, "move link: out of memory"};
    rtnl_link_set_ns_fd(changes.get(), netns_fd);
    return link_change(sock, name, changes.get(),
                       fmt::format("move link \"{}\" to network namespace", name));
}

}  // namespace network
