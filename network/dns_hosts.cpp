#include "network/dns_hosts.hpp"

#include <fmt/format.h>

#include "network/ipam.hpp"

namespace network::dns {

namespace {

constexpr const char* default_entries =
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "ff00::0\tip6-mcastprefix\n"
    "ff02::1\tip6-allnodes\n"
    "ff02::2\tip6-allrouters\n";

bool valid_ip(const std::string& text) { return parse_ipv4(text).ok() || parse_ipv6(text).ok(); }

// "name=ip" or "name:ip"; names hold neither character, so the first one splits.
engine::Result<std::string> extra_host_line(const std::string& entry, const std::string& host_gateway) {
    auto split = entry.find_first_of("=:");
    auto bad = [&](const std::string& why) { return engine::Error{EINVAL, fmt::format("extra host \"{}\": {}", entry, why)}; };
    if (split == std::string::npos || split == 0) return bad("expected name=ip");
    std::string name = entry.substr(0, split);
    std::string ip = entry.substr(split + 1);
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (ip == "host-gateway") {
        if (host_gateway.empty()) return bad("no host-gateway address is known");
        ip = host_gateway;
    }
    if (!valid_ip(ip)) return bad(fmt::format("invalid IP address \"{}\"", ip));
    return fmt::format("{}\t{}\n", ip, name);
}

}  // namespace

engine::Result<std::string> container_hosts_file(const ContainerHosts& hosts) {
    std::string text = default_entries;
    for (const auto& entry : hosts.extra_hosts) {
        auto line = extra_host_line(entry, hosts.host_gateway);
        if (!line) return line.error();
        text += line.value();
    }
    std::string names = hosts.domainname.empty()
                            ? hosts.hostname
                            : fmt::format("{}.{} {}", hosts.hostname, hosts.domainname, hosts.hostname);
    for (const auto& address : hosts.addresses) text += fmt::format("{}\t{}\n", address, names);
    return text;
}

}  // namespace network::dns
