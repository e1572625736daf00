#pragma once

// A container's /etc/resolv.conf from the host's and the service's dns, dns_search and dns_opt,
// as Docker writes it (internal/resolvconf): on networks with the embedded resolver the
// container asks it and it forwards to the upstreams; on the default bridge the container asks
// the upstreams itself.

#include <optional>
#include <string>
#include <vector>

#include "network/dns_server.hpp"

namespace network::dns {

/// The service's settings, as given (empty: not set).
struct ContainerDnsOptions {
    std::vector<std::string> dns;
    std::vector<std::string> dns_search;
    std::vector<std::string> dns_opt;
};

struct ContainerResolvConf {
    /// The file's text.
    std::string text;
    /// With the embedded resolver: where it forwards this container's other names (Endpoint
    /// upstreams); the service's dns, else the host's nameservers.
    std::vector<std::string> upstreams;
};

/// Google's public resolvers: Docker's fallback on the default bridge when the host has only
/// loopback nameservers, which the container cannot reach.
inline const std::vector<std::string> docker_fallback_ipv4 = {"8.8.8.8", "8.8.4.4"};
inline const std::vector<std::string> docker_fallback_ipv6 = {"2001:4860:4860::8888", "2001:4860:4860::8844"};

/// `embedded_resolver` is the address containers query the embedded resolver at (user-defined
/// networks), nullopt on the default bridge; `ipv6` says the container has IPv6 (default bridge:
/// whether IPv6 nameservers are kept).
ContainerResolvConf container_resolv_conf(const ResolvConf& host, const ContainerDnsOptions& options,
                                          const std::optional<std::string>& embedded_resolver, bool ipv6);

}  // namespace network::dns
