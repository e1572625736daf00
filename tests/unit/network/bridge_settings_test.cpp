// Address pools as BERTH_ADDRESS_POOL gives them, and run/create's network flags.
#include <catch2/catch.hpp>

#include "engine/container/networking.hpp"
#include "network/bridge.hpp"

using namespace network;
using nlohmann::json;

TEST_CASE("address pools: whole subnets and split ranges", "[network][netattach]") {
    auto pools = parse_address_pools("10.213.0.0/23/24,10.214.7.0/24");
    REQUIRE(pools.ok());
    REQUIRE(pools.value().size() == 3);
    CHECK(pools.value()[0].to_string() == "10.213.0.0/24");
    CHECK(pools.value()[1].to_string() == "10.213.1.0/24");
    CHECK(pools.value()[2].to_string() == "10.214.7.0/24");
    CHECK(parse_address_pools("").value().empty());
    CHECK(!parse_address_pools("10.213.0.0/24/16").ok());
    CHECK(!parse_address_pools("10.213.0.1/24").ok());
    CHECK(!parse_address_pools("nonsense").ok());
    // Huge pools are capped rather than expanded into millions of entries.
    CHECK(parse_address_pools("10.0.0.0/8/30").value().size() == 4096);
}

TEST_CASE("network flags: mode, address and aliases", "[network][netattach]") {
    using engine::container::apply_network_flags;
    json host = json::object(), networking = json::object();
    REQUIRE(apply_network_flags("", "", {}, host, networking).ok());
    CHECK(host["NetworkMode"] == "bridge");
    CHECK(networking.empty());
    REQUIRE(apply_network_flags("front", "10.213.1.9", {"web", "www"}, host, networking).ok());
    CHECK(host["NetworkMode"] == "front");
    CHECK(networking["EndpointsConfig"]["front"]["IPAMConfig"]["IPv4Address"] == "10.213.1.9");
    CHECK(networking["EndpointsConfig"]["front"]["Aliases"] == json{"web", "www"});
    json h2 = json::object(), n2 = json::object();
    CHECK(!apply_network_flags("host", "10.213.1.9", {}, h2, n2).ok());
    CHECK(!apply_network_flags("container:abc", "", {"x"}, h2, n2).ok());
}
