// x-allow resolved to protected addresses and (source, proto, port) entries.
#include "network/permissions.hpp"

#include <catch2/catch.hpp>

using namespace network;

namespace {

Ipv4Address ip(const char* text) { return parse_ipv4(text).value(); }

const std::map<std::string, std::vector<Ipv4Address>> kAddresses{
    {"api", {ip("10.0.0.2"), ip("10.0.0.5")}}, {"db", {ip("10.0.0.3")}}, {"web", {}}};

}  // namespace

TEST_CASE("permissions: x-allow becomes protections on the service's addresses", "[nft]") {
    auto resolved = resolve_permissions({{"db", {{"api", {"5432/tcp", "53/udp", "8080"}}}}},
                                        kAddresses);
    REQUIRE(resolved);
    REQUIRE(resolved.value().size() == 1);
    const auto& db = resolved.value()[0];
    CHECK(db.address == ip("10.0.0.3"));
    REQUIRE(db.allow.size() == 3);
    CHECK(db.allow[0].sources == std::vector<Ipv4Address>{ip("10.0.0.2"), ip("10.0.0.5")});
    CHECK(db.allow[0].protocol == Protocol::tcp);
    CHECK(db.allow[0].port == 5432);
    CHECK(db.allow[1].protocol == Protocol::udp);
    CHECK(db.allow[2].port == 8080);
}

TEST_CASE("permissions: an empty x-allow denies everything, a stopped service has no rules",
          "[nft]") {
    auto resolved = resolve_permissions({{"db", {}}, {"cache", {}}}, kAddresses);
    REQUIRE(resolved);
    REQUIRE(resolved.value().size() == 1);
    CHECK(resolved.value()[0].address == ip("10.0.0.3"));
    CHECK(resolved.value()[0].allow.empty());
}

TEST_CASE("permissions: unknown services and bad ports are errors", "[nft]") {
    auto unknown = resolve_permissions({{"db", {{"apx", {"5432/tcp"}}}}}, kAddresses);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message == "x-allow of service \"db\": unknown service \"apx\"");
    for (const char* bad : {"x/tcp", "5432/icmp", "1-2/tcp", "80:80", "0"}) {
        auto invalid = resolve_permissions({{"db", {{"api", {bad}}}}}, kAddresses);
        REQUIRE_FALSE(invalid);
        CHECK(invalid.error().message ==
              fmt::format("x-allow of service \"db\": invalid port \"{}\"", bad));
    }
}
