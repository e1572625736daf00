#include "network/ports.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>

#include "engine/sys/unique_fd.hpp"

namespace network {

namespace {

using engine::sys::UniqueFd;

Error invalid(std::string_view spec, std::string_view why) {
    return Error{EINVAL, fmt::format("invalid port spec \"{}\": {}", spec, why)};
}

// A port number 0-65535; nullopt for anything else (sign, spaces, overflow).
std::optional<std::uint16_t> parse_number(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value > 65535)
        return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

// "80" or "80-90"; `what` names the part in errors ("container port", "host port").
Result<PortRange> parse_range(std::string_view spec, std::string_view text, std::string_view what) {
    auto dash = text.find('-');
    auto first = parse_number(text.substr(0, dash));
    auto last = dash == std::string_view::npos ? first : parse_number(text.substr(dash + 1));
    if (!first || !last) return invalid(spec, fmt::format("invalid {} \"{}\"", what, text));
    if (*last < *first)
        return invalid(spec, fmt::format("invalid {} range \"{}\": end before start", what, text));
    return PortRange{*first, *last};
}

// Splits like docker/go-connections nat.SplitProtoPort/splitParts: the last ':' part is the
// container port, the one before it the host port, everything earlier the IP, so an
// unbracketed IPv6 address still ends up whole.
struct SpecParts {
    std::string_view ip, host, container, protocol = "tcp";
};

SpecParts split_spec(std::string_view spec) {
    SpecParts parts;
    auto slash = spec.rfind('/');
    if (slash != std::string_view::npos) {
        parts.protocol = spec.substr(slash + 1);
        spec = spec.substr(0, slash);
    }
    auto last_colon = spec.rfind(':');
    parts.container = spec.substr(last_colon == std::string_view::npos ? 0 : last_colon + 1);
    if (last_colon == std::string_view::npos) return parts;
    auto rest = spec.substr(0, last_colon);
    auto host_colon = rest.rfind(':');
    parts.host = rest.substr(host_colon == std::string_view::npos ? 0 : host_colon + 1);
    if (host_colon != std::string_view::npos) parts.ip = rest.substr(0, host_colon);
    return parts;
}

Result<std::string> parse_host_ip(std::string_view spec, std::string_view ip) {
    if (ip.size() >= 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    std::string text(ip);
    unsigned char buffer[16];
    if (text.empty() || ::inet_pton(AF_INET, text.c_str(), buffer) == 1 ||
        ::inet_pton(AF_INET6, text.c_str(), buffer) == 1)
        return text;
    return invalid(spec, fmt::format("invalid host IP \"{}\"", ip));
}

Result<Protocol> parse_protocol(std::string_view spec, std::string_view text) {
    if (text == "tcp") return Protocol::tcp;
    if (text == "udp") return Protocol::udp;
    if (text == "sctp") return Protocol::sctp;
    return invalid(spec, fmt::format("invalid protocol \"{}\"", text));
}

bool is_ipv6(const std::string& ip) { return ip.find(':') != std::string::npos; }

// A socket bound to host_ip:port, or the bind errno.
Result<UniqueFd> bind_port(const std::string& host_ip, std::uint16_t port, Protocol protocol) {
    const bool v6 = is_ipv6(host_ip);
    const int type = protocol == Protocol::udp ? SOCK_DGRAM : SOCK_STREAM;
    const int proto = protocol == Protocol::sctp ? IPPROTO_SCTP : 0;
    UniqueFd fd(::socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, proto));
    if (!fd) return engine::sys::errno_error("open {} socket", to_string(protocol));
    // A listener would set SO_REUSEADDR too, so TIME_WAIT leftovers do not count as busy.
    int one = 1;
    if (type == SOCK_STREAM) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (v6) {
        auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
        address->sin6_family = AF_INET6;
        address->sin6_port = htons(port);
        ::inet_pton(AF_INET6, host_ip.c_str(), &address->sin6_addr);
        length = sizeof *address;
    } else {
        auto* address = reinterpret_cast<sockaddr_in*>(&storage);
        address->sin_family = AF_INET;
        address->sin_port = htons(port);
        if (!host_ip.empty()) ::inet_pton(AF_INET, host_ip.c_str(), &address->sin_addr);
        length = sizeof *address;
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0)
        return engine::sys::errno_error("bind {}", port);
    return fd;
}

std::uint16_t bound_port(int fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
    if (storage.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

}  // namespace

std::string_view to_string(Protocol protocol) {
    switch (protocol) {
    case Protocol::tcp: return "tcp";
    case Protocol::udp: return "udp";
    case Protocol::sctp: return "sctp";
    }
    return "tcp";
}

Result<PortSpec> parse_port_spec(std::string_view spec) {
    auto parts = split_spec(spec);
    if (parts.container.empty()) return invalid(spec, "no container port");
    PortSpec out;
    auto ip = parse_host_ip(spec, parts.ip);
    if (!ip) return ip.error();
    out.host_ip = ip.value();
    auto protocol = parse_protocol(spec, parts.protocol);
    if (!protocol) return protocol.error();
    out.protocol = protocol.value();
    auto container = parse_range(spec, parts.container, "container port");
    if (!container) return container.error();
    if (container.value().first == 0) return invalid(spec, "container port 0 is out of range 1-65535");
    out.container = container.value();
    if (parts.host.empty()) return out;
    auto host = parse_range(spec, parts.host, "host port");
    if (!host) return host.error();
    out.host = host.value();
    if (out.host.first == 0 && out.host.size() > 1)
        return invalid(spec, "host port range may not start at 0");
    // Docker allows a host range with one container port: "pick a free one from the range".
    if (out.host.size() != out.container.size() && out.container.size() != 1)
        return invalid(spec, fmt::format("host range {} and container range {} differ in size",
                                         parts.host, parts.container));
    return out;
}

std::vector<PortBinding> expand_port_spec(const PortSpec& spec) {
    std::vector<PortBinding> out;
    const bool pick_from_range = spec.host.size() > 1 && spec.container.size() == 1;
    for (int i = 0; i < spec.container.size(); ++i) {
        PortBinding binding{spec.host_ip, 0, static_cast<std::uint16_t>(spec.container.first + i),
                            spec.protocol, std::nullopt};
        if (pick_from_range)
            binding.host_range = spec.host;
        else if (spec.host.first != 0)
            binding.host_port = static_cast<std::uint16_t>(spec.host.first + i);
        out.push_back(std::move(binding));
    }
    return out;
}

std::string PortBinding::to_string() const {
    auto ip = host_ip.empty() ? std::string("0.0.0.0")
              : is_ipv6(host_ip) ? "[" + host_ip + "]" : host_ip;
    return fmt::format("{}:{}->{}/{}", ip, host_port, container_port, network::to_string(protocol));
}

std::vector<std::string> port_lines(const std::vector<PortBinding>& bindings) {
    std::vector<std::string> out;
    for (const auto& binding : bindings) {
        auto ip = binding.host_ip.empty() ? std::string("0.0.0.0")
                  : is_ipv6(binding.host_ip) ? "[" + binding.host_ip + "]" : binding.host_ip;
        out.push_back(fmt::format("{}/{} -> {}:{}", binding.container_port,
                                  network::to_string(binding.protocol), ip, binding.host_port));
    }
    return out;
}

Status check_port_free(const std::string& host_ip, std::uint16_t port, Protocol protocol) {
    auto bound = bind_port(host_ip, port, protocol);
    if (bound) return engine::sys::ok();
    auto name = fmt::format("port {}/{}", port, to_string(protocol));
    if (!host_ip.empty()) name = fmt::format("port {}:{}/{}", host_ip, port, to_string(protocol));
    if (bound.error().sys_errno != EADDRINUSE)
        return Error{bound.error().sys_errno, fmt::format("{} cannot be bound: {}", name,
                                                          std::strerror(bound.error().sys_errno))};
    auto holder = describe_port_holder(port, protocol);
    return Error{EADDRINUSE, fmt::format("{} is already in use{}", name,
                                         holder.empty() ? "" : " by " + holder)};
}

Result<std::uint16_t> pick_free_port(const std::string& host_ip, Protocol protocol,
                                     const std::set<std::uint16_t>& taken) {
    // The kernel picks from ip_local_port_range; a port berth already publishes via DNAT looks
    // free to bind(), so retry a bounded number of times while holding the rejected sockets.
    std::vector<UniqueFd> rejected;
    for (int attempt = 0; attempt < 64; ++attempt) {
        auto bound = bind_port(host_ip, 0, protocol);
        if (!bound)
            return Error{bound.error().sys_errno, "pick a free host port: " + bound.error().message};
        auto port = bound_port(bound.value().get());
        if (!taken.contains(port)) return port;
        rejected.push_back(std::move(bound.value()));
    }
    return Error{EADDRINUSE, "pick a free host port: no free port found"};
}

Result<std::vector<PortBinding>> resolve_host_ports(std::vector<PortBinding> bindings,
                                                    const std::set<std::uint16_t>& taken) {
    std::set<std::uint16_t> used = taken;
    for (auto& binding : bindings) {
        if (binding.host_range) {
            for (int port = binding.host_range->first; port <= binding.host_range->last; ++port) {
                if (used.contains(port)) continue;
                auto free = check_port_free(binding.host_ip, port, binding.protocol);
                if (free) {
                    binding.host_port = static_cast<std::uint16_t>(port);
                    break;
                }
            }
            if (binding.host_port == 0)
                return Error{EADDRINUSE, fmt::format("no free host port in range {}-{} for {}/{}",
                                                     binding.host_range->first,
                                                     binding.host_range->last,
                                                     binding.container_port,
                                                     to_string(binding.protocol))};
        } else if (binding.host_port == 0) {
            auto port = pick_free_port(binding.host_ip, binding.protocol, used);
            if (!port) return port.error();
            binding.host_port = port.value();
        } else {
            if (used.contains(binding.host_port))
                return Error{EADDRINUSE, fmt::format("port {}/{} is already published by berth",
                                                     binding.host_port,
                                                     to_string(binding.protocol))};
            auto free = check_port_free(binding.host_ip, binding.host_port, binding.protocol);
            if (!free) return free.error();
        }
        binding.host_range.reset();
        used.insert(binding.host_port);
    }
    return bindings;
}

}  // namespace network
