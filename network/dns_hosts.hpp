#pragma once

// A container's /etc/hosts as Docker writes it: the localhost and IPv6 multicast entries, then
// extra_hosts, then the container's own addresses with its hostname. Names on its networks are
// not listed: the embedded resolver answers them.

#include <string>
#include <vector>

#include "engine/sys/result.hpp"

namespace network::dns {

struct ContainerHosts {
    std::string hostname;
    /// "example.com" gives "<address>\t<hostname>.example.com <hostname>".
    std::string domainname;
    /// The container's addresses, one line each with its hostname.
    std::vector<std::string> addresses;
    /// extra_hosts as compose and the CLI give them: "name=ip", "name:ip" ("name:::1" and
    /// "name=[::1]" for IPv6); ip "host-gateway" stands for `host_gateway`.
    std::vector<std::string> extra_hosts;
    /// The host's address as containers see it (Docker: the default bridge's gateway).
    std::string host_gateway;
};

/// The file's text; error for an extra host without a name or with an invalid address,
/// quoting it: extra host "db=1.2.3": invalid IP address "1.2.3".
engine::Result<std::string> container_hosts_file(const ContainerHosts& hosts);

}  // namespace network::dns
