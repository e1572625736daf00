#pragma once

// The embedded DNS server: UDP and TCP listeners on the daemon's io_context answering the
// names in a Table and forwarding every other name to upstream resolvers.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include "network/dns_table.hpp"

namespace network::dns {

/// Docker's embedded DNS answers its own names with this TTL (libnetwork resolver.go, respTTL).
inline constexpr std::uint32_t docker_answer_ttl = 600;

struct ServerConfig {
    /// Addresses to serve on, UDP and TCP; in the daemon the networks' gateways.
    std::vector<boost::asio::ip::address> listen;
    /// 53 normally; 0 picks a free port (the same for all addresses, UDP and TCP).
    std::uint16_t port = 53;
    /// Default upstream resolvers ("1.2.3.4", "1.2.3.4:5353", "fd00::1", "[fd00::1]:5353"),
    /// tried in order; loopback ones work because the server runs in the host's namespace.
    std::vector<std::string> upstreams;
    /// Per upstream tried; a forward gives up after at most 3 upstreams, then SERVFAIL.
    std::chrono::milliseconds forward_timeout{2000};
    /// Forwards in flight at once (bounded memory); queries beyond get SERVFAIL at once.
    std::size_t max_forwards = 256;
    std::size_t max_tcp_connections = 64;
    /// A TCP connection with no complete query for this long is closed.
    std::chrono::milliseconds tcp_idle_timeout{10000};
    std::uint32_t ttl = docker_answer_ttl;
    /// Unknown senders (no container on any network has their address) get REFUSED, so the
    /// server is no open resolver for whatever else reaches the address.
    bool refuse_unknown_sources = true;
};

struct ServerStats {
    std::uint64_t answered_locally = 0;
    std::uint64_t forwarded = 0;
    std::uint64_t forward_failures = 0;  // timeouts and errors, answered SERVFAIL
    std::uint64_t refused = 0;
    std::size_t forwards_in_flight = 0;
    std::size_t tcp_connections = 0;
};

/// The nameservers, search domains and options of a resolv.conf.
struct ResolvConf {
    std::vector<std::string> nameservers;
    std::vector<std::string> search;
    std::vector<std::string> options;
};

/// Parses resolv.conf text (comments with '#' or ';'; the last search/domain line wins, as in
/// glibc); unknown keywords are ignored.
ResolvConf parse_resolv_conf(std::string_view text);

/// Reads and parses a resolv.conf file, usually /etc/resolv.conf.
Result<ResolvConf> read_resolv_conf(const std::string& path);

/// Splits "1.2.3.4", "1.2.3.4:5353", "fd00::1" or "[fd00::1]:5353" into address and port.
Result<std::pair<boost::asio::ip::address, std::uint16_t>> parse_upstream(std::string_view text);

class Server {
public:
    /// The table must outlive the server; the daemon keeps updating it.
    Server(boost::asio::io_context& io, const Table& table, ServerConfig config);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds every listener and starts serving on the io_context; errors name the address.
    Status start();
    /// Closes listeners and connections and abandons forwards; safe from any thread.
    void stop();
    /// The port served (useful with port 0); 0 before start.
    std::uint16_t port() const;
    /// A snapshot; call from the io_context's thread (or when it is not running).
    ServerStats stats() const;

    struct State;

private:
    std::shared_ptr<State> state_;
};

}  // namespace network::dns
