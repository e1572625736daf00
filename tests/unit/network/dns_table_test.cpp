// The embedded resolver's name table: per-network names, visibility by sender, rotation.
#include "network/dns_table.hpp"

#include <set>
#include <thread>

#include <catch2/catch.hpp>

using namespace network;
using namespace network::dns;

namespace {

Ipv4Address v4(const std::string& text) { return parse_ipv4(text).value(); }
Ipv6Address v6(const std::string& text) { return parse_ipv6(text).value(); }

Endpoint endpoint(std::string id, std::vector<std::string> names, std::string address) {
    return Endpoint{std::move(id), std::move(names), {v4(address)}, {}, {}};
}

std::vector<std::string> texts(const std::vector<Address>& addresses) {
    std::vector<std::string> out;
    for (const auto& a : addresses) out.push_back(std::visit([](const auto& x) { return x.to_string(); }, a));
    return out;
}

// Two networks: frontend (web, api) and backend (api, db); api is on both.
void two_networks(Table& table) {
    table.set_network("front", {"front.test", false});
    table.set_network("back", {"", true});
    REQUIRE(table.set_endpoint("front", endpoint("web1", {"web", "proj-web-1", "WebHost"}, "172.20.0.2")).ok());
    REQUIRE(table.set_endpoint("front", endpoint("api1", {"api"}, "172.20.0.3")).ok());
    REQUIRE(table.set_endpoint("back", endpoint("api1", {"api"}, "172.21.0.3")).ok());
    REQUIRE(table.set_endpoint("back", endpoint("db1", {"db", "database"}, "172.21.0.4")).ok());
}

}  // namespace

TEST_CASE("dns table: names resolve for senders on the same network only", "[dns]") {
    Table table;
    two_networks(table);
    Address web = v4("172.20.0.2"), db = v4("172.21.0.4");

    auto found = table.lookup(web, "proj-web-1", Family::ipv4);
    CHECK(found.known_source);
    CHECK(found.name_found);
    CHECK(texts(found.addresses) == std::vector<std::string>{"172.20.0.2"});

    CHECK_FALSE(table.lookup(web, "db", Family::ipv4).name_found);
    CHECK_FALSE(table.lookup(db, "web", Family::ipv4).name_found);
    CHECK(texts(table.lookup(db, "database", Family::ipv4).addresses) == std::vector<std::string>{"172.21.0.4"});
}

TEST_CASE("dns table: a container on two networks sees both, and is seen on each", "[dns]") {
    Table table;
    two_networks(table);
    CHECK(table.lookup(v4("172.20.0.3"), "db", Family::ipv4).name_found);
    CHECK(table.lookup(v4("172.21.0.3"), "web", Family::ipv4).name_found);  // same container
    CHECK(texts(table.lookup(v4("172.20.0.2"), "api", Family::ipv4).addresses) ==
          std::vector<std::string>{"172.20.0.3"});
}

TEST_CASE("dns table: case, trailing dot and search domain are ignored", "[dns]") {
    Table table;
    two_networks(table);
    Address web = v4("172.20.0.2");
    CHECK(table.lookup(web, "WEB.", Family::ipv4).name_found);
    CHECK(table.lookup(web, "webhost", Family::ipv4).name_found);
    CHECK(table.lookup(web, "web.front.test", Family::ipv4).name_found);
    CHECK(table.lookup(web, "Web.Front.Test.", Family::ipv4).name_found);
    CHECK_FALSE(table.lookup(web, "web.other.test", Family::ipv4).name_found);
    CHECK_FALSE(table.lookup(web, "front.test", Family::ipv4).name_found);
}

TEST_CASE("dns table: a scaled service gives every replica, in rotating order", "[dns]") {
    Table table;
    table.set_network("net", {});
    for (int i = 1; i <= 3; ++i) {
        REQUIRE(table.set_endpoint("net", endpoint(fmt::format("w{}", i), {"worker"}, fmt::format("10.9.0.{}", i + 1)))
                    .ok());
    }
    Address client = v4("10.9.0.2");
    std::set<std::string> firsts;
    for (int i = 0; i < 3; ++i) {
        auto found = table.lookup(client, "worker", Family::ipv4);
        REQUIRE(found.addresses.size() == 3);
        auto all = texts(found.addresses);
        CHECK(std::set<std::string>(all.begin(), all.end()).size() == 3);
        firsts.insert(all.front());
    }
    CHECK(firsts.size() == 3);
}

TEST_CASE("dns table: AAAA lookups give IPv6 addresses, and an IPv4-only name is still found", "[dns]") {
    Table table;
    table.set_network("net", {});
    Endpoint dual{"d", {"dual"}, {v4("10.1.0.2")}, {v6("fd00::2")}, {}};
    REQUIRE(table.set_endpoint("net", dual).ok());
    REQUIRE(table.set_endpoint("net", endpoint("o", {"only4"}, "10.1.0.3")).ok());
    CHECK(texts(table.lookup(v6("fd00::2"), "dual", Family::ipv6).addresses) == std::vector<std::string>{"fd00::2"});
    auto only4 = table.lookup(v4("10.1.0.2"), "only4", Family::ipv6);
    CHECK(only4.name_found);
    CHECK(only4.addresses.empty());
}

TEST_CASE("dns table: removal, replacement, unknown senders, forwarding and upstreams", "[dns]") {
    Table table;
    two_networks(table);
    CHECK_FALSE(table.lookup(v4("10.0.0.1"), "web", Family::ipv4).known_source);
    CHECK(table.lookup(v4("172.20.0.2"), "x", Family::ipv4).may_forward);
    CHECK_FALSE(table.lookup(v4("172.21.0.4"), "x", Family::ipv4).may_forward);  // backend is internal

    table.remove_endpoint("front", "web1");
    CHECK_FALSE(table.lookup(v4("172.20.0.3"), "web", Family::ipv4).name_found);
    CHECK_FALSE(table.lookup(v4("172.20.0.2"), "api", Family::ipv4).known_source);

    Endpoint moved = endpoint("db1", {"db"}, "172.21.0.9");
    moved.upstreams = {"127.0.0.53"};
    REQUIRE(table.set_endpoint("back", moved).ok());
    CHECK_FALSE(table.lookup(v4("172.21.0.4"), "db", Family::ipv4).known_source);
    auto found = table.lookup(v4("172.21.0.9"), "database", Family::ipv4);
    CHECK_FALSE(found.name_found);  // replaced names
    CHECK(found.upstreams == std::vector<std::string>{"127.0.0.53"});

    table.remove_network("back");
    CHECK_FALSE(table.lookup(v4("172.21.0.9"), "db", Family::ipv4).known_source);
    CHECK(table.lookup(v4("172.20.0.3"), "api", Family::ipv4).known_source);
    CHECK_THAT(table.set_endpoint("gone", endpoint("x", {"x"}, "1.2.3.4")).error().message,
               Catch::Contains("network \"gone\" is unknown"));
}

TEST_CASE("dns table: concurrent updates and lookups", "[dns]") {
    Table table;
    table.set_network("net", {});
    REQUIRE(table.set_endpoint("net", endpoint("client", {"client"}, "10.2.0.2")).ok());
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (int i = 0; i < 2000; ++i) {
            auto id = fmt::format("e{}", i % 50);
            (void)table.set_endpoint("net", endpoint(id, {"svc"}, fmt::format("10.2.1.{}", i % 50 + 1)));
            if (i % 3 == 0) table.remove_endpoint("net", id);
        }
        stop = true;
    });
    long found = 0;
    while (!stop) found += static_cast<long>(table.lookup(v4("10.2.0.2"), "svc", Family::ipv4).addresses.size());
    writer.join();
    CHECK(found >= 0);
    CHECK(table.lookup(v4("10.2.0.2"), "svc", Family::ipv4).addresses.size() <= 50);
}

TEST_CASE("dns table: reverse names parse to addresses", "[dns]") {
    CHECK(parse_reverse_name("4.3.2.1.in-addr.arpa") == Address{v4("1.2.3.4")});
    CHECK(parse_reverse_name("2.0.20.172.IN-ADDR.ARPA.") == Address{v4("172.20.0.2")});
    std::string six = "2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa";
    CHECK(parse_reverse_name(six) == Address{v6("fd00::2")});
    CHECK_FALSE(parse_reverse_name("3.2.1.in-addr.arpa"));
    CHECK_FALSE(parse_reverse_name("256.3.2.1.in-addr.arpa"));
    CHECK_FALSE(parse_reverse_name("x.3.2.1.in-addr.arpa"));
    CHECK_FALSE(parse_reverse_name("web.example"));
    CHECK_FALSE(parse_reverse_name("g.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa"));
}

TEST_CASE("dns table: reverse lookups answer <name>.<network> on the sender's networks", "[dns]") {
    Table table;
    two_networks(table);
    Endpoint named = endpoint("db1", {"db", "database"}, "172.21.0.4");
    named.reverse_name = "proj-db-1";
    REQUIRE(table.set_endpoint("back", named).ok());
    auto web = table.reverse_lookup(v4("172.20.0.3"), v4("172.20.0.2"));
    CHECK(web.known_source);
    CHECK(web.names == std::vector<std::string>{"web.front"});
    CHECK(table.reverse_lookup(v4("172.21.0.3"), v4("172.21.0.4")).names ==
          std::vector<std::string>{"proj-db-1.back"});
    CHECK(table.reverse_lookup(v4("172.20.0.2"), v4("172.21.0.4")).names.empty());  // not web's network
    CHECK_FALSE(table.reverse_lookup(v4("10.0.0.1"), v4("172.20.0.2")).known_source);
}
