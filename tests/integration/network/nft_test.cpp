// berth's nftables rules against the real kernel, entirely inside throwaway namespaces:
//
//   outside (10.78.0.2) ── veth ── host (10.78.0.1, berth1 10.77.1.1/24, berth2 10.77.2.1/24)
//                                   ├── berth1: a 10.77.1.2, b 10.77.1.3, c 10.77.1.4
//                                   └── berth2 (internal): i 10.77.2.2
//
// The "host" is a namespace too, so the real host's nftables are never touched. Probes are small
// sockets made inside a namespace (by a thread that setns()es) and used from the test thread,
// with short timeouts; traffic only goes to the addresses above.
#include "network/nft.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>
#include <optional>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "engine/sys/unique_fd.hpp"
#include "tests/support/busybox_rootfs.hpp"
#include "tests/support/netns_test.hpp"
#include "tests/support/root_test.hpp"

using namespace network;
using engine::sys::UniqueFd;
using test_support::output;
using test_support::random_suffix;
using test_support::run;
using test_support::TestNetns;

namespace {

/// Runs `work` on a thread inside the namespace, so the test thread never moves.
template <typename F>
auto in_netns(int netns_fd, F work) -> decltype(work()) {
    std::optional<decltype(work())> result;
    std::thread([&] {
        if (::setns(netns_fd, CLONE_NEWNET) == 0) result.emplace(work());
    }).join();
    REQUIRE(result.has_value());
    return std::move(*result);
}

UniqueFd socket_in(int netns_fd, Protocol protocol) {
    int type = (protocol == Protocol::udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK;
    return in_netns(netns_fd, [type] { return UniqueFd(::socket(AF_INET, type, 0)); });
}

sockaddr_in address_of(const std::string& ip, std::uint16_t port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    ::inet_pton(AF_INET, ip.c_str(), &address.sin_addr);
    return address;
}

bool wait_for(int fd, short events, int timeout_ms = 400) {
    pollfd p{fd, events, 0};
    return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & events);
}

std::string peer_ip(const sockaddr_in& peer) {
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
    return text;
}

/// A TCP or UDP server bound to 0.0.0.0:port inside a namespace.
struct Server {
    UniqueFd fd;
    Protocol protocol;
    Server(int netns_fd, std::uint16_t port, Protocol proto) : fd(socket_in(netns_fd, proto)), protocol(proto) {
        REQUIRE(fd.valid());
        int one = 1;
        ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        auto address = address_of("0.0.0.0", port);
        REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
        if (proto == Protocol::tcp) REQUIRE(::listen(fd.get(), 16) == 0);
    }
};

/// Connects from namespace `client_ns` to ip:port; the server's view of the client address on
/// success (the reply path included), nullopt when the traffic does not get through.
std::optional<std::string> probe(int client_ns, Server& server, const std::string& ip,
                                 std::uint16_t port) {
    auto client = socket_in(client_ns, server.protocol);
    auto address = address_of(ip, port);
    sockaddr_in peer{};
    socklen_t length = sizeof peer;
    if (server.protocol == Protocol::tcp) {
        ::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
        if (!wait_for(client.get(), POLLOUT)) return std::nullopt;
        int error = 0;
        socklen_t size = sizeof error;
        ::getsockopt(client.get(), SOL_SOCKET, SO_ERROR, &error, &size);
        if (error != 0 || !wait_for(server.fd.get(), POLLIN)) return std::nullopt;
        UniqueFd accepted(::accept4(server.fd.get(), reinterpret_cast<sockaddr*>(&peer), &length,
                                    SOCK_CLOEXEC));
        if (!accepted) return std::nullopt;
        return peer_ip(peer);
    }
    ::sendto(client.get(), "ping", 4, 0, reinterpret_cast<sockaddr*>(&address), sizeof address);
    char buffer[16];
    if (!wait_for(server.fd.get(), POLLIN)) return std::nullopt;
    if (::recvfrom(server.fd.get(), buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&peer),
                   &length) <= 0)
        return std::nullopt;
    ::sendto(server.fd.get(), "pong", 4, 0, reinterpret_cast<sockaddr*>(&peer), length);
    if (!wait_for(client.get(), POLLIN) || ::recv(client.get(), buffer, sizeof buffer, 0) != 4)
        return std::nullopt;
    return peer_ip(peer);
}

Ipv4Address ip4(const char* text) { return parse_ipv4(text).value(); }

/// The topology of the diagram above; everything goes with the namespaces.
struct Topology {
    std::string suffix = random_suffix();
    TestNetns host{"bnft-" + suffix + "-h"}, outside{"bnft-" + suffix + "-o"};
    TestNetns a{"bnft-" + suffix + "-a"}, b{"bnft-" + suffix + "-b"}, c{"bnft-" + suffix + "-c"};
    TestNetns internal{"bnft-" + suffix + "-i"};

    Topology() {
        for (const TestNetns* ns : {&host, &outside, &a, &b, &c, &internal})
            REQUIRE(run(ns->ip("link set lo up")) == 0);
        for (const char* bridge : {"berth1", "berth2"}) {
            REQUIRE(run(host.ip(fmt::format("link add {} type bridge", bridge))) == 0);
            REQUIRE(run(host.ip(fmt::format("link set {} up", bridge))) == 0);
        }
        REQUIRE(run(host.ip("addr add 10.77.1.1/24 dev berth1")) == 0);
        REQUIRE(run(host.ip("addr add 10.77.2.1/24 dev berth2")) == 0);
        attach(a, "berth1", "10.77.1.2", "10.77.1.1");
        attach(b, "berth1", "10.77.1.3", "10.77.1.1");
        attach(c, "berth1", "10.77.1.4", "10.77.1.1");
        attach(internal, "berth2", "10.77.2.2", "10.77.2.1");
        REQUIRE(run(host.ip("link add up0 type veth peer name eth0 netns " + outside.name)) == 0);
        REQUIRE(run(host.ip("addr add 10.78.0.1/24 dev up0")) == 0);
        REQUIRE(run(host.ip("link set up0 up")) == 0);
        REQUIRE(run(outside.ip("addr add 10.78.0.2/24 dev eth0")) == 0);
        REQUIRE(run(outside.ip("link set eth0 up")) == 0);
    }

    void attach(const TestNetns& ns, const char* bridge, const char* address, const char* gateway) {
        auto host_end = "v" + ns.name.substr(ns.name.size() - 1);
        REQUIRE(run(host.ip(fmt::format("link add {} type veth peer name eth0 netns {}", host_end,
                                        ns.name))) == 0);
        REQUIRE(run(host.ip(fmt::format("link set {} master {} up", host_end, bridge))) == 0);
        // Needed with br_netfilter for hairpin: the DNAT'd frame leaves by the port it came in.
        REQUIRE(run(host.ip(fmt::format("link set {} type bridge_slave hairpin on", host_end))) == 0);
        REQUIRE(run(ns.ip(fmt::format("addr add {}/24 dev eth0", address))) == 0);
        REQUIRE(run(ns.ip("link set eth0 up")) == 0);
        REQUIRE(run(ns.ip(fmt::format("route add default via {}", gateway))) == 0);
    }

    NftState state(PermissionFamily family) const {
        NftState state;
        state.permission_family = family;
        state.networks = {{"front", "berth1", parse_subnet("10.77.1.0/24").value(), false},
                          {"back", "berth2", parse_subnet("10.77.2.0/24").value(), true}};
        state.endpoints = {
            {"a", "front", ip4("10.77.1.2"),
             {{"", 8080, 80, Protocol::tcp, std::nullopt}, {"", 8053, 53, Protocol::udp, std::nullopt}}},
            {"b", "front", ip4("10.77.1.3"), {{"", 15432, 5432, Protocol::tcp, std::nullopt}}},
            {"c", "front", ip4("10.77.1.4"), {}},
            {"i", "back", ip4("10.77.2.2"), {}},
        };
        state.protections = {
            {ip4("10.77.1.3"), {{{ip4("10.77.1.2")}, Protocol::tcp, 5432}}},
            {ip4("10.77.1.4"), {{{ip4("10.77.1.2")}, Protocol::udp, 53}}},
        };
        return state;
    }

    Status apply_in_host(const NftState& state) {
        return in_netns(host.fd.get(), [&] { return apply(state); });
    }
    Status teardown_in_host() {
        return in_netns(host.fd.get(), [] { return teardown(); });
    }
};

/// Tears berth's rules down in the host namespace on every path.
struct RulesGuard {
    Topology& topology;
    ~RulesGuard() { (void)topology.teardown_in_host(); }
};

void check_egress_and_publishing(Topology& net) {
    INFO("egress: the outside sees the host's address");
    Server outside_tcp(net.outside.fd.get(), 9000, Protocol::tcp);
    CHECK(probe(net.a.fd.get(), outside_tcp, "10.78.0.2", 9000) == "10.78.0.1");
    Server outside_udp(net.outside.fd.get(), 9001, Protocol::udp);
    CHECK(probe(net.a.fd.get(), outside_udp, "10.78.0.2", 9001) == "10.78.0.1");

    INFO("internal network: no way out");
    CHECK_FALSE(probe(net.internal.fd.get(), outside_tcp, "10.78.0.2", 9000));
    CHECK_FALSE(probe(net.internal.fd.get(), outside_udp, "10.78.0.2", 9001));

    Server web(net.a.fd.get(), 80, Protocol::tcp);
    Server dns(net.a.fd.get(), 53, Protocol::udp);
    INFO("DNAT from outside keeps the client's address");
    CHECK(probe(net.outside.fd.get(), web, "10.78.0.1", 8080) == "10.78.0.2");
    CHECK(probe(net.outside.fd.get(), dns, "10.78.0.1", 8053) == "10.78.0.2");
    INFO("DNAT from the host itself, 127.0.0.1 included");
    CHECK(probe(net.host.fd.get(), web, "127.0.0.1", 8080) == "10.77.1.1");
    CHECK(probe(net.host.fd.get(), dns, "127.0.0.1", 8053) == "10.77.1.1");
    CHECK(probe(net.host.fd.get(), web, "10.78.0.1", 8080).has_value());
    INFO("hairpin: a container reaches its own published port");
    CHECK(probe(net.a.fd.get(), web, "10.78.0.1", 8080) == "10.77.1.1");
    CHECK(probe(net.a.fd.get(), dns, "10.77.1.1", 8053) == "10.77.1.1");
}

void check_permission_matrix(Topology& net, PermissionFamily family) {
    struct Container {
        const char* name;
        int fd;
        const char* address;
    };
    const std::vector<Container> containers{{"a", net.a.fd.get(), "10.77.1.2"},
                                            {"b", net.b.fd.get(), "10.77.1.3"},
                                            {"c", net.c.fd.get(), "10.77.1.4"}};
    std::vector<std::unique_ptr<Server>> tcp, udp;
    for (const auto& container : containers) {
        tcp.push_back(std::make_unique<Server>(container.fd, 5432, Protocol::tcp));
        udp.push_back(std::make_unique<Server>(container.fd, 53, Protocol::udp));
    }
    for (size_t from = 0; from < containers.size(); ++from) {
        for (size_t to = 0; to < containers.size(); ++to) {
            if (from == to) continue;
            const std::string pair = std::string(containers[from].name) + "->" + containers[to].name;
            // a has no x-allow (open); b allows a on 5432/tcp; c allows a on 53/udp.
            bool tcp_allowed = to == 0 || (to == 1 && from == 0);
            bool udp_allowed = to == 0 || (to == 2 && from == 0);
            // Stateless fallback: a UDP reply to a protected container is not listed.
            if (family == PermissionFamily::bridge && to == 0 && from != 0) udp_allowed = false;
            INFO(pair);
            CHECK(probe(containers[from].fd, *tcp[to], containers[to].address, 5432).has_value() ==
                  tcp_allowed);
            CHECK(probe(containers[from].fd, *udp[to], containers[to].address, 53).has_value() ==
                  udp_allowed);
        }
    }
    INFO("the host and published ports still reach protected containers");
    CHECK(probe(net.host.fd.get(), *tcp[1], "10.77.1.3", 5432) == "10.77.1.1");
    CHECK(probe(net.host.fd.get(), *udp[2], "10.77.1.4", 53) == "10.77.1.1");
    CHECK(probe(net.outside.fd.get(), *tcp[1], "10.78.0.1", 15432) == "10.78.0.2");
}

bool has_berth_table(const TestNetns& ns) {
    return output(ns.exec("nft list tables")).find("berth") != std::string::npos;
}

}  // namespace

TEST_CASE("nft: egress, internal networks, DNAT, hairpin and permissions in a private host",
          "[.root][nft]") {
    REQUIRE_ROOT();
    auto family = GENERATE(PermissionFamily::inet, PermissionFamily::bridge);
    Topology net;
    INFO((family == PermissionFamily::inet ? "inet family (br_netfilter on)"
                                           : "bridge family (br_netfilter off)"));
    // The bridge family is the fallback for hosts without br_netfilter; here the module is
    // loaded, so switch it off for the namespace to see what that fallback does alone.
    if (family == PermissionFamily::bridge)
        REQUIRE(run(net.host.exec("sysctl -qw net.bridge.bridge-nf-call-iptables=0")) == 0);
    else
        CHECK(in_netns(net.host.fd.get(), [] { return detect_permission_family(); }) == family);
    {
        RulesGuard guard{net};
        REQUIRE_OK(net.apply_in_host(net.state(family)));
        CHECK(output(net.host.exec("sysctl -n net.ipv4.ip_forward")) == "1\n");
        CHECK(output(net.host.exec("sysctl -n net.ipv4.conf.berth1.route_localnet")) == "1\n");
        check_egress_and_publishing(net);
        check_permission_matrix(net, family);
        // Applying again (a container came or went) replaces the rules in place.
        auto state = net.state(family);
        state.protections.clear();
        REQUIRE_OK(net.apply_in_host(state));
        Server b_tcp(net.b.fd.get(), 5432, Protocol::tcp);
        CHECK(probe(net.c.fd.get(), b_tcp, "10.77.1.3", 5432).has_value());
        REQUIRE_OK(net.teardown_in_host());
    }
    CHECK_FALSE(has_berth_table(net.host));
}

TEST_CASE("nft: with Docker's FORWARD policy DROP berth's traffic still passes", "[.root][nft]") {
    REQUIRE_ROOT();
    Topology net;
    // What dockerd sets up through iptables-nft: FORWARD policy DROP, jumping to DOCKER-USER.
    REQUIRE(run(net.host.exec("iptables-nft -N DOCKER-USER")) == 0);
    REQUIRE(run(net.host.exec("iptables-nft -A DOCKER-USER -j RETURN")) == 0);
    REQUIRE(run(net.host.exec("iptables-nft -A FORWARD -j DOCKER-USER")) == 0);
    REQUIRE(run(net.host.exec("iptables-nft -P FORWARD DROP")) == 0);
    {
        RulesGuard guard{net};
        REQUIRE_OK(net.apply_in_host(net.state(PermissionFamily::inet)));
        REQUIRE_OK(net.apply_in_host(net.state(PermissionFamily::inet)));  // no duplicates
        auto rules = output(net.host.exec("iptables-nft -S DOCKER-USER"));
        CHECK(rules == "-N DOCKER-USER\n"
                       "-A DOCKER-USER -o berth2 -m comment --comment berth -j ACCEPT\n"
                       "-A DOCKER-USER -i berth2 -m comment --comment berth -j ACCEPT\n"
                       "-A DOCKER-USER -o berth1 -m comment --comment berth -j ACCEPT\n"
                       "-A DOCKER-USER -i berth1 -m comment --comment berth -j ACCEPT\n"
                       "-A DOCKER-USER -j RETURN\n");
        check_egress_and_publishing(net);
        check_permission_matrix(net, PermissionFamily::inet);
        REQUIRE_OK(net.teardown_in_host());
    }
    CHECK_FALSE(has_berth_table(net.host));
    CHECK(output(net.host.exec("iptables-nft -S DOCKER-USER")) ==
          "-N DOCKER-USER\n-A DOCKER-USER -j RETURN\n");
}
