// IPAM: parsing, Docker's default pools, subnet choice, address allocation and the on-disk store.
#include "network/ipam.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include <catch2/catch.hpp>

#include "network/ipam_store.hpp"
#include "tests/support/temp_dir.hpp"

using namespace network;

namespace {

Ipv4Subnet subnet(const std::string& text) { return parse_subnet(text).value(); }
Ipv4Address ip(const std::string& text) { return parse_ipv4(text).value(); }

PoolRequest with_subnet(std::string s, std::optional<std::string> gateway = std::nullopt,
                        std::optional<std::string> range = std::nullopt) {
    return PoolRequest{std::move(s), std::move(gateway), std::move(range)};
}

}  // namespace

TEST_CASE("ipam: IPv4 addresses and subnets parse and print", "[ipam]") {
    CHECK(ip("172.17.0.1").to_string() == "172.17.0.1");
    CHECK(ip("0.0.0.0").value == 0);
    CHECK(ip("255.255.255.255").value == 0xffffffffu);
    CHECK(subnet("10.0.0.0/8").to_string() == "10.0.0.0/8");
    CHECK(subnet("0.0.0.0/0").mask() == 0);
    CHECK(subnet("192.168.16.0/20").last().to_string() == "192.168.31.255");
    CHECK(subnet("10.1.2.3/32").last() == ip("10.1.2.3"));
}

TEST_CASE("ipam: bad input is rejected with the text quoted", "[ipam]") {
    CHECK(parse_ipv4("1.2.3").error().message == "invalid IPv4 address \"1.2.3\"");
    CHECK(parse_ipv4("1.2.3.256").error().message == "invalid IPv4 address \"1.2.3.256\"");
    CHECK(parse_ipv4("01.2.3.4").error().message == "invalid IPv4 address \"01.2.3.4\"");
    for (auto text : {"10.0.0.0/33", "10.0.0.0", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
                      "10.0.0/8", "x/8", "10.0.0.0/ 8"}) {
        auto parsed = parse_subnet(text);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().message == fmt::format("invalid subnet \"{}\"", text));
        CHECK(parsed.error().sys_errno == EINVAL);
    }
    CHECK(parse_subnet("10.0.0.1/24").error().message ==
          "invalid subnet \"10.0.0.1/24\": host bits set, did you mean \"10.0.0.0/24\"");
}

TEST_CASE("ipam: IPv6 addresses parse and print canonically", "[ipam]") {
    CHECK(parse_ipv6("2001:DB8:0:0:0:0:0:1").value().to_string() == "2001:db8::1");
    CHECK(parse_ipv6("::1").value().to_string() == "::1");
    CHECK(parse_ipv6("2001:db8::1::2").error().message == "invalid IPv6 address \"2001:db8::1::2\"");
}

TEST_CASE("ipam: subnet containment and overlap", "[ipam]") {
    CHECK(subnet("10.0.0.0/8").contains(subnet("10.1.0.0/16")));
    CHECK_FALSE(subnet("10.1.0.0/16").contains(subnet("10.0.0.0/8")));
    CHECK(subnet("10.1.0.0/16").overlaps(subnet("10.0.0.0/8")));
    CHECK(subnet("10.0.0.0/8").overlaps(subnet("10.1.0.0/16")));
    CHECK_FALSE(subnet("10.0.0.0/24").overlaps(subnet("10.0.1.0/24")));
    CHECK(subnet("0.0.0.0/0").overlaps(subnet("1.2.3.0/24")));
}

TEST_CASE("ipam: Docker's default pools in order", "[ipam]") {
    const auto& pools = default_pools();
    REQUIRE(pools.size() == 31);
    CHECK(pools.front().to_string() == "172.17.0.0/16");
    CHECK(pools[14].to_string() == "172.31.0.0/16");
    CHECK(pools[15].to_string() == "192.168.0.0/20");
    CHECK(pools[16].to_string() == "192.168.16.0/20");
    CHECK(pools.back().to_string() == "192.168.240.0/20");
}

TEST_CASE("ipam: a chosen subnet avoids other networks and host routes", "[ipam]") {
    IpamState state;
    SECTION("first free pool, gateway .1") {
        auto pool = add_network(state, "bridge", {}, {}).value();
        CHECK(pool.subnet.to_string() == "172.17.0.0/16");
        CHECK(pool.gateway.to_string() == "172.17.0.1");
        CHECK(add_network(state, "web", {}, {}).value().subnet.to_string() == "172.18.0.0/16");
    }
    SECTION("host routes are skipped, the default route is not a conflict") {
        std::vector<Ipv4Subnet> routes{subnet("0.0.0.0/0"), subnet("172.17.0.0/16"),
                                       subnet("172.16.0.0/12")};
        CHECK(add_network(state, "a", {}, routes).value().subnet.to_string() == "192.168.0.0/20");
        CHECK(add_network(state, "b", {}, routes).value().subnet.to_string() == "192.168.16.0/20");
    }
    SECTION("a user subnet blocks the pools it overlaps") {
        REQUIRE(add_network(state, "big", with_subnet("172.16.0.0/14"), {}));
        CHECK(add_network(state, "next", {}, {}).value().subnet.to_string() == "172.20.0.0/16");
    }
    SECTION("all pools taken") {
        std::vector<Ipv4Subnet> routes{subnet("172.16.0.0/12"), subnet("192.168.0.0/16")};
        auto pool = add_network(state, "x", {}, routes);
        REQUIRE_FALSE(pool);
        CHECK(pool.error().message ==
              "create address pool for network \"x\": no available address pool: every default "
              "pool overlaps a network or a host route");
    }
}

TEST_CASE("ipam: --subnet, --gateway and --ip-range are validated", "[ipam]") {
    IpamState state;
    REQUIRE(add_network(state, "front", with_subnet("10.10.0.0/16"), {}));
    auto error = [&](const PoolRequest& request) {
        auto pool = add_network(state, "new", request, {});
        REQUIRE_FALSE(pool);
        return pool.error().message;
    };
    const std::string ctx = "create address pool for network \"new\": ";
    CHECK(error(with_subnet("10.0.0.0/8")) ==
          ctx + "subnet \"10.0.0.0/8\" overlaps with network \"front\" (10.10.0.0/16)");
    CHECK(error(with_subnet("10.0.0.0/33")) == ctx + "invalid subnet \"10.0.0.0/33\"");
    CHECK(error(with_subnet("10.20.0.0/31")) ==
          ctx + "subnet \"10.20.0.0/31\" is too small: a /30 or larger is needed");
    CHECK(error(with_subnet("10.20.0.0/24", "10.21.0.1")) ==
          ctx + "gateway \"10.21.0.1\" is not a host address of subnet \"10.20.0.0/24\"");
    CHECK(error(with_subnet("10.20.0.0/24", "10.20.0.255")) ==
          ctx + "gateway \"10.20.0.255\" is not a host address of subnet \"10.20.0.0/24\"");
    CHECK(error(with_subnet("10.20.0.0/24", "bad")) == ctx + "invalid IPv4 address \"bad\"");
    CHECK(error(with_subnet("10.20.0.0/24", std::nullopt, "10.20.1.0/28")) ==
          ctx + "ip range \"10.20.1.0/28\" is not inside subnet \"10.20.0.0/24\"");
    CHECK(error(PoolRequest{std::nullopt, "10.20.0.1", std::nullopt}) ==
          ctx + "a gateway or ip range needs an explicit subnet");
    REQUIRE(add_network(state, "new", with_subnet("10.30.0.0/24"), {}));
    CHECK(error(with_subnet("10.40.0.0/24")) == ctx + "pool already exists");

    auto pool = add_network(state, "custom", with_subnet("10.50.0.0/24", "10.50.0.254", "10.50.0.128/25"), {});
    REQUIRE(pool);
    CHECK(pool.value().gateway.to_string() == "10.50.0.254");
    CHECK(pool.value().ip_range->to_string() == "10.50.0.128/25");
}

TEST_CASE("ipam: addresses are handed out lowest first, never gateway/network/broadcast", "[ipam]") {
    IpamState state;
    REQUIRE(add_network(state, "n", with_subnet("10.9.0.0/30"), {}));
    CHECK(allocate_address(state, "n", "c1").value().to_string() == "10.9.0.2");
    auto full = allocate_address(state, "n", "c2");
    REQUIRE_FALSE(full);
    CHECK(full.error().message == "allocate an address in network \"n\": no free address left in 10.9.0.0/30");
    REQUIRE(release_address(state, "n", ip("10.9.0.2")));
    CHECK(allocate_address(state, "n", "c3").value().to_string() == "10.9.0.2");
    CHECK(state.networks.at("n").allocated.at(ip("10.9.0.2")) == "c3");
}

TEST_CASE("ipam: allocation draws from the ip range, static addresses anywhere in the subnet", "[ipam]") {
    IpamState state;
    REQUIRE(add_network(state, "n", with_subnet("10.9.0.0/24", std::nullopt, "10.9.0.16/30"), {}));
    std::vector<std::string> got;
    for (int i = 0; i < 4; ++i) got.push_back(allocate_address(state, "n", "c").value().to_string());
    CHECK(got == std::vector<std::string>{"10.9.0.16", "10.9.0.17", "10.9.0.18", "10.9.0.19"});
    CHECK_FALSE(allocate_address(state, "n", "c"));
    CHECK(allocate_address(state, "n", "s", ip("10.9.0.200")).value().to_string() == "10.9.0.200");
}

TEST_CASE("ipam: static addresses are checked", "[ipam]") {
    IpamState state;
    REQUIRE(add_network(state, "n", with_subnet("10.9.0.0/24"), {}));
    auto error = [&](const std::string& address) {
        auto got = allocate_address(state, "n", "c", ip(address));
        REQUIRE_FALSE(got);
        return got.error();
    };
    REQUIRE(allocate_address(state, "n", "c", ip("10.9.0.7")));
    CHECK(error("10.9.0.7").message == "allocate 10.9.0.7 in network \"n\": address already in use");
    CHECK(error("10.9.0.7").sys_errno == EADDRINUSE);
    CHECK(error("10.9.0.1").message == "allocate 10.9.0.1 in network \"n\": address already in use");
    CHECK(error("10.9.0.0").message ==
          "allocate 10.9.0.0 in network \"n\": address is the subnet's network or broadcast address");
    CHECK(error("10.9.0.255").message ==
          "allocate 10.9.0.255 in network \"n\": address is the subnet's network or broadcast address");
    CHECK(error("10.9.1.1").message ==
          "allocate 10.9.1.1 in network \"n\": address is outside subnet \"10.9.0.0/24\"");
    // The dynamic allocator steps over the static address.
    for (int i = 2; i < 7; ++i) REQUIRE(allocate_address(state, "n", "c"));
    CHECK(allocate_address(state, "n", "c").value().to_string() == "10.9.0.8");
}

TEST_CASE("ipam: unknown networks and unallocated addresses", "[ipam]") {
    IpamState state;
    CHECK(allocate_address(state, "nope", "c").error().message == "network \"nope\" has no address pool");
    CHECK(remove_network(state, "nope").error().message ==
          "remove address pool: network \"nope\" has none");
    REQUIRE(add_network(state, "n", with_subnet("10.9.0.0/24"), {}));
    CHECK(release_address(state, "n", ip("10.9.0.9")).error().message ==
          "release 10.9.0.9 in network \"n\": address not allocated");
    REQUIRE(remove_network(state, "n"));
    CHECK(state.networks.empty());
}

TEST_CASE("ipam: state round-trips through JSON", "[ipam]") {
    IpamState state;
    REQUIRE(add_network(state, "a", {}, {}));
    REQUIRE(add_network(state, "b", with_subnet("10.9.0.0/24", "10.9.0.254", "10.9.0.128/25"), {}));
    REQUIRE(allocate_address(state, "a", "c1"));
    REQUIRE(allocate_address(state, "b", "c2", ip("10.9.0.10")));
    auto text = ipam_to_json(state);
    auto back = ipam_from_json(text);
    REQUIRE(back);
    CHECK(ipam_to_json(back.value()) == text);
    CHECK(back.value().networks.at("b").allocated.at(ip("10.9.0.10")) == "c2");
    CHECK(back.value().networks.at("b").ip_range->to_string() == "10.9.0.128/25");

    CHECK(ipam_from_json("{").error().message.rfind("parse IPAM state: ", 0) == 0);
    CHECK(ipam_from_json(R"({"networks":{"x":{"subnet":"1.2.3.4/40","gateway":"1.2.3.1"}}})")
              .error()
              .message == "network \"x\": invalid subnet \"1.2.3.4/40\"");
}

TEST_CASE("ipam: the store persists and a reload sees the same view", "[ipam]") {
    TempDir dir{"berth-ipam"};
    auto root = dir.root.string();
    {
        IpamStore store(root);
        REQUIRE(store.add_network("n", with_subnet("10.9.0.0/24"), {}));
        CHECK(store.allocate("n", "c1").value().to_string() == "10.9.0.2");
        CHECK(store.allocate("n", "c2").value().to_string() == "10.9.0.3");
        REQUIRE(store.release("n", ip("10.9.0.2")));
        // A failed change leaves the file alone.
        CHECK_FALSE(store.allocate("n", "c3", ip("10.9.0.3")));
    }
    IpamStore reopened(root);
    auto state = reopened.load().value();
    REQUIRE(state.networks.at("n").allocated.size() == 1);
    CHECK(state.networks.at("n").allocated.at(ip("10.9.0.3")) == "c2");
    CHECK(reopened.allocate("n", "c4").value().to_string() == "10.9.0.2");
    CHECK(dir.read("network/ipam.json").find("\"10.9.0.2\": \"c4\"") != std::string::npos);
    REQUIRE(reopened.remove_network("n"));
    CHECK(reopened.load().value().networks.empty());
}

TEST_CASE("ipam: two processes never hand out the same address", "[ipam]") {
    TempDir dir{"berth-ipam"};
    auto root = dir.root.string();
    REQUIRE(IpamStore(root).add_network("n", with_subnet("10.9.0.0/24"), {}));
    constexpr int kPerProcess = 20;
    std::vector<pid_t> children;
    for (int child = 0; child < 4; ++child) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            IpamStore store(root);
            for (int i = 0; i < kPerProcess; ++i)
                if (!store.allocate("n", fmt::format("p{}-{}", child, i))) ::_exit(1);
            ::_exit(0);
        }
        children.push_back(pid);
    }
    for (pid_t pid : children) {
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
    }
    auto state = IpamStore(root).load().value();
    const auto& allocated = state.networks.at("n").allocated;
    CHECK(allocated.size() == 4 * kPerProcess);
    std::set<std::string> owners;
    for (const auto& [address, owner] : allocated) owners.insert(owner);
    CHECK(owners.size() == 4 * kPerProcess);
}

TEST_CASE("ipam: a damaged state file is an error naming the file", "[ipam]") {
    TempDir dir{"berth-ipam"};
    dir.write("network/ipam.json", "{\"networks\": {\"n\": {\"subnet\": \"10.0.0.0/8\", \"gateway\": \"x\"}}}");
    IpamStore store(dir.root.string());
    auto loaded = store.load();
    REQUIRE_FALSE(loaded);
    CHECK(loaded.error().message ==
          store.state_path() + ": network \"n\": invalid IPv4 address \"x\"");
    CHECK_FALSE(store.allocate("n", "c"));
}
