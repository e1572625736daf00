// The netlink layer against the real kernel: a bridge, a veth into a throwaway namespace, and a
// ping across it. Every link and namespace is named after a random suffix and removed by RAII
// guards, so a failing test leaves nothing behind. Traffic only ever goes to addresses the test
// itself configured.
#include "network/netlink.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <set>
#include <sstream>

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

/// Deletes a host link on destruction if it still exists.
struct LinkGuard {
    std::string name;
    ~LinkGuard() {
        if (auto sock = RouteSocket::open()) (void)delete_link(sock.value(), name);
    }
};

/// A /24 in 10.199.0.0/16 that no host route touches.
Ipv4Subnet unused_test_subnet(RouteSocket& sock) {
    auto routes = host_route_subnets(sock);
    REQUIRE(routes);
    std::mt19937 pick{std::random_device{}()};
    for (int attempt = 0; attempt < 64; ++attempt) {
        Ipv4Subnet candidate{parse_ipv4(fmt::format("10.199.{}.0", pick() % 256)).value(), 24};
        bool used = false;
        for (const auto& route : routes.value())
            used = used || (route.prefix > 0 && route.overlaps(candidate));
        if (!used) return candidate;
    }
    FAIL("no unused /24 in 10.199.0.0/16");
    return {};
}

std::string thread_netns() {
    char buf[64] = {};
    REQUIRE(::readlink("/proc/thread-self/ns/net", buf, sizeof buf - 1) > 0);
    return buf;
}

}  // namespace

TEST_CASE("netlink: a veth into a namespace reaches its bridge, and teardown leaves nothing",
          "[.root][network]") {
    REQUIRE_ROOT();
    auto sock = RouteSocket::open();
    REQUIRE(sock);
    const auto suffix = random_suffix();
    const std::string bridge = "bt" + suffix, host_end = "vb" + suffix, peer = "vp" + suffix;
    const auto subnet = unused_test_subnet(sock.value());
    const Ipv4Address gateway{subnet.base.value + 1}, address{subnet.base.value + 2};
    const auto netns_before = thread_netns();
    {
        TestNetns ns;
        LinkGuard bridge_guard{bridge}, veth_guard{host_end};
        REQUIRE_OK(create_bridge(sock.value(), bridge, 1500));
        REQUIRE_OK(add_address(sock.value(), bridge, {gateway, 24}));
        VethAttachment attachment{bridge, host_end, 1500, ns.fd.get(),
                                  ContainerInterface{peer, "eth0", {address, 24}, gateway}};
        REQUIRE_OK(attach_veth(sock.value(), attachment));
        CHECK(thread_netns() == netns_before);

        CHECK(output("ip -o link show " + host_end).find("master " + bridge) != std::string::npos);
        CHECK(link_exists(sock.value(), peer).value() == false);  // it moved away
        CHECK(output(ns.exec("ip -o link show eth0")).find("state UP") != std::string::npos);
        CHECK(output(ns.exec("ip -o link show lo")).find(",UP") != std::string::npos);
        CHECK(output(ns.exec("ip -4 -o addr show eth0")).find(address.to_string() + "/24") !=
              std::string::npos);
        CHECK(output(ns.exec("ip route show default")).find("via " + gateway.to_string()) !=
              std::string::npos);
        CHECK(run(ns.exec(fmt::format("{} ping -c 1 -W 1 {}", test_support::kBusybox,
                                      gateway.to_string()))) == 0);

        // The bridge's connected route is what IPAM must steer clear of.
        auto routes = host_route_subnets(sock.value());
        REQUIRE(routes);
        CHECK(std::find(routes.value().begin(), routes.value().end(), subnet) != routes.value().end());

        REQUIRE_OK(delete_link(sock.value(), host_end));
        REQUIRE_OK(delete_link(sock.value(), bridge));
    }
    CHECK(link_exists(sock.value(), bridge).value() == false);
    CHECK(link_exists(sock.value(), host_end).value() == false);
    CHECK(output("ip -4 -o addr show").find(gateway.to_string() + "/") == std::string::npos);
    CHECK(output("ip netns list").find(suffix) == std::string::npos);
}

TEST_CASE("netlink: kernel errors carry errno and the link's name", "[.root][network]") {
    REQUIRE_ROOT();
    auto sock = RouteSocket::open();
    REQUIRE(sock);
    const auto suffix = random_suffix();
    const std::string bridge = "bt" + suffix;
    LinkGuard guard{bridge};
    REQUIRE_OK(create_bridge(sock.value(), bridge));
    auto again = create_bridge(sock.value(), bridge);
    REQUIRE_FALSE(again);
    CHECK(again.error().sys_errno == EEXIST);
    CHECK(again.error().message == fmt::format("create bridge \"{}\": Object exists", bridge));

    auto missing = delete_link(sock.value(), "nx" + suffix);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().sys_errno == ENODEV);
    CHECK(missing.error().message.rfind(fmt::format("delete link \"nx{}\": ", suffix), 0) == 0);

    CHECK(create_bridge(sock.value(), "toolong" + suffix + "xxx").error().message ==
          fmt::format("invalid link name \"toolong{}xxx\": longer than 15 characters", suffix));
    REQUIRE_OK(delete_link(sock.value(), bridge));
}

TEST_CASE("netlink: a failed attach removes the veth pair again", "[.root][network]") {
    REQUIRE_ROOT();
    auto sock = RouteSocket::open();
    REQUIRE(sock);
    const auto suffix = random_suffix();
    TestNetns ns;
    LinkGuard veth_guard{"vb" + suffix};
    VethAttachment attachment{"nobr" + suffix, "vb" + suffix, 0, ns.fd.get(),
                              ContainerInterface{"vp" + suffix, "eth0", {}, std::nullopt}};
    auto attached = attach_veth(sock.value(), attachment);
    REQUIRE_FALSE(attached);
    CHECK(attached.error().sys_errno == ENODEV);
    CHECK(attached.error().message.rfind(
              fmt::format("attach veth \"vb{0}\" to bridge \"nobr{0}\": attach link \"vb{0}\" to "
                          "bridge \"nobr{0}\": look up link \"nobr{0}\": ",
                          suffix),
              0) == 0);
    CHECK(link_exists(sock.value(), "vb" + suffix).value() == false);
    CHECK(link_exists(sock.value(), "vp" + suffix).value() == false);
}

TEST_CASE("netlink: work in a namespace never moves the calling thread", "[.root][network]") {
    REQUIRE_ROOT();
    TestNetns ns;
    const auto before = thread_netns();
    std::vector<std::string> seen;
    auto status = run_in_netns(ns.fd.get(), [&](RouteSocket& sock) -> Status {
        seen.push_back(thread_netns());
        auto lo = link_exists(sock, "lo");
        if (!lo) return lo.error();
        // The namespace is fresh: only lo, no routes.
        auto routes = list_ipv4_routes(sock);
        if (!routes) return routes.error();
        seen.push_back(fmt::format("routes={}", routes.value().size()));
        return engine::sys::ok();
    });
    REQUIRE_OK(status);
    REQUIRE(seen.size() == 2);
    CHECK(seen[0] != before);
    CHECK(seen[1] == "routes=0");
    CHECK(thread_netns() == before);

    auto bad = run_in_netns(-1, [](RouteSocket&) { return engine::sys::ok(); });
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message == "enter network namespace (fd -1): Bad file descriptor");
}

TEST_CASE("netlink: the host's IPv4 routes match what ip(8) lists", "[.root][network]") {
    REQUIRE_ROOT();
    auto sock = RouteSocket::open();
    REQUIRE(sock);
    auto routes = host_route_subnets(sock.value());
    REQUIRE(routes);
    std::set<std::string> ours;
    for (const auto& subnet : routes.value()) ours.insert(subnet.to_string());
    std::istringstream lines(output("ip -4 route show table main"));
    for (std::string line; std::getline(lines, line);) {
        auto destination = line.substr(0, line.find(' '));
        if (destination == "default") destination = "0.0.0.0/0";
        if (destination.find('/') == std::string::npos) destination += "/32";
        INFO(line);
        CHECK(ours.contains(destination));
    }
}
