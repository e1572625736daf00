#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/sys/result.hpp"

namespace network {

using engine::Error;
using engine::Result;
using engine::Status;

/// Transport protocol of a published port.
enum class Protocol { tcp, udp, sctp };

/// "tcp", "udp" or "sctp".
std::string_view to_string(Protocol protocol);

/// An inclusive range of ports; a single port has first == last. {0, 0} means "not given".
struct PortRange {
    std::uint16_t first = 0;
    std::uint16_t last = 0;

    int size() const { return last - first + 1; }
    bool operator==(const PortRange&) const = default;
};

/// One `-p` argument as written: `[ip:][hostPort[-end]:]ctrPort[-end][/proto]`.
struct PortSpec {
    std::string host_ip;   ///< "" = every address; IPv6 without the brackets
    PortRange host;        ///< {0, 0} = ephemeral (the kernel picks)
    PortRange container;
    Protocol protocol = Protocol::tcp;
};

/// Parses a docker `-p` spec. Host and container ranges must have equal length, except that a
/// host range with one container port means "any free port of the range". Errors read
/// "invalid port spec \"<spec>\": <why>" (EINVAL).
Result<PortSpec> parse_port_spec(std::string_view spec);

/// One published port, host side to container side. host_port 0 = not chosen yet; when
/// `host_range` is set, the port is to be chosen from it.
struct PortBinding {
    std::string host_ip;
    std::uint16_t host_port = 0;
    std::uint16_t container_port = 0;
    Protocol protocol = Protocol::tcp;
    std::optional<PortRange> host_range;

    /// "0.0.0.0:8080->80/tcp", "[::1]:8080->80/tcp", the form of `docker ps`.
    std::string to_string() const;
    bool operator==(const PortBinding&) const = default;
};

/// The bindings of a spec, one per container port, in order.
std::vector<PortBinding> expand_port_spec(const PortSpec& spec);

/// Docker's `berth port` lines for `bindings`: "80/tcp -> 0.0.0.0:8080".
std::vector<std::string> port_lines(const std::vector<PortBinding>& bindings);

/// Checks that `host_ip`:`port`/`protocol` can be bound now ("" = every address) by binding it.
/// When it cannot, the error (EADDRINUSE) names the holder when /proc tells:
/// "port 8080/tcp is already in use by pid 1234 (nginx)".
Status check_port_free(const std::string& host_ip, std::uint16_t port, Protocol protocol);

/// A free port for `host_ip`/`protocol` chosen by the kernel from ip_local_port_range (bind to
/// port 0), avoiding `taken` (ports berth already publishes: DNAT holds no socket).
Result<std::uint16_t> pick_free_port(const std::string& host_ip, Protocol protocol,
                                     const std::set<std::uint16_t>& taken = {});

/// Gives every binding a concrete, free host port: explicit ports are checked, ephemeral ones
/// picked, ranges searched in order. `taken` are host ports berth already uses for
/// `protocol` (same key as in the set: port number, any protocol). Nothing is held afterwards.
Result<std::vector<PortBinding>> resolve_host_ports(std::vector<PortBinding> bindings,
                                                    const std::set<std::uint16_t>& taken = {});

/// A socket found in /proc/net/{tcp,tcp6,udp,udp6}: local port and inode.
struct ProcSocket {
    std::uint16_t port = 0;
    unsigned long inode = 0;
};

/// Parses one /proc/net/{tcp,udp}[6] table; for tcp only listening sockets are returned.
std::vector<ProcSocket> parse_proc_net_sockets(std::string_view table, bool tcp);

/// "pid 1234 (nginx)" for the process holding `port`/`protocol`, or "" when unknown.
std::string describe_port_holder(std::uint16_t port, Protocol protocol);

}  // namespace network
