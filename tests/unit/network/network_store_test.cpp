// The network store: Docker's NetworkResource shape, predefined networks, unique names, and
// lookup by name, full id and unique id prefix.
#include "network/network_store.hpp"

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

using namespace network;

namespace {

NetworkRecord user_network(const std::string& name, const std::string& id) {
    NetworkRecord r;
    r.id = id;
    r.name = name;
    r.created = "2026-11-29T00:00:00.000000000Z";
    r.ipam_config = {{"10.213.1.0/24", "10.213.1.1", ""}};
    r.labels = {{"team", "blue"}};
    return r;
}

std::string id_with_prefix(const std::string& prefix) {
    return prefix + std::string(64 - prefix.size(), '0');
}

}  // namespace

TEST_CASE("network store: every root has bridge, host and none", "[network][netattach]") {
    TempDir dir("netstore");
    NetworkStore store(dir.root.string(), "brtest0");
    auto all = store.list();
    REQUIRE(all.ok());
    REQUIRE(all.value().size() == 3);
    CHECK(all.value()[0].name == "bridge");
    CHECK(all.value()[0].driver == "bridge");
    CHECK(all.value()[0].bridge_name() == "brtest0");
    CHECK(all.value()[1].name == "host");
    CHECK(all.value()[1].driver == "host");
    CHECK(all.value()[2].name == "none");
    CHECK(all.value()[2].driver == "null");
    CHECK(all.value()[2].bridge_name() == "");
    CHECK(all.value()[0].predefined());
    // Written once: the ids are stable across opens.
    auto again = NetworkStore(dir.root.string(), "brtest0").list();
    REQUIRE(again.ok());
    CHECK(again.value()[0].id == all.value()[0].id);
}

TEST_CASE("network store: names are unique", "[network][netattach]") {
    TempDir dir("netstore");
    NetworkStore store(dir.root.string(), "brtest0");
    REQUIRE(store.add(user_network("front", new_network_id())).ok());
    auto clash = store.add(user_network("front", new_network_id()));
    REQUIRE(!clash.ok());
    CHECK(clash.error().message == "network with name front already exists");
    auto predefined = store.add(user_network("bridge", new_network_id()));
    REQUIRE(!predefined.ok());
}

TEST_CASE("network store: lookup by name, id and unique prefix", "[network][netattach]") {
    TempDir dir("netstore");
    NetworkStore store(dir.root.string(), "brtest0");
    REQUIRE(store.add(user_network("front", id_with_prefix("abc1"))).ok());
    REQUIRE(store.add(user_network("back", id_with_prefix("abc2"))).ok());
    CHECK(store.find("front").value().id == id_with_prefix("abc1"));
    CHECK(store.find(id_with_prefix("abc2")).value().name == "back");
    CHECK(store.find("abc2").value().name == "back");
    auto ambiguous = store.find("abc");
    REQUIRE(!ambiguous.ok());
    CHECK(ambiguous.error().message == "network abc is ambiguous (2 matches found based on ID prefix)");
    auto missing = store.find("nope");
    REQUIRE(!missing.ok());
    CHECK(missing.error().message == "network nope not found");
    // A name that looks like another network's id prefix still finds the named network.
    REQUIRE(store.add(user_network("abc2", id_with_prefix("def"))).ok());
    CHECK(store.find("abc2").value().id == id_with_prefix("def"));
    REQUIRE(store.remove(id_with_prefix("abc1")).ok());
    CHECK(!store.find("front").ok());
    CHECK(store.remove(id_with_prefix("abc1")).ok());  // idempotent
}

TEST_CASE("network store: records have Docker's NetworkResource shape", "[network][netattach]") {
    auto r = user_network("front", id_with_prefix("a"));
    r.options[kBridgeNameOption] = "brfront";
    r.options[kMtuOption] = "1400";
    r.internal = true;
    auto doc = nlohmann::json::parse(network_to_json(r));
    CHECK(doc["Name"] == "front");
    CHECK(doc["Id"].get<std::string>().size() == 64);
    CHECK(doc["Scope"] == "local");
    CHECK(doc["Driver"] == "bridge");
    CHECK(doc["EnableIPv6"] == false);
    CHECK(doc["IPAM"]["Driver"] == "default");
    CHECK(doc["IPAM"]["Config"][0]["Subnet"] == "10.213.1.0/24");
    CHECK(doc["IPAM"]["Config"][0]["Gateway"] == "10.213.1.1");
    CHECK(!doc["IPAM"]["Config"][0].contains("IPRange"));
    CHECK(doc["Internal"] == true);
    CHECK(doc["Ingress"] == false);
    CHECK(doc["Containers"].is_object());
    CHECK(doc["Labels"]["team"] == "blue");
    auto back = network_from_json(doc.dump());
    REQUIRE(back.ok());
    CHECK(back.value().bridge_name() == "brfront");
    CHECK(back.value().mtu() == 1400);
    CHECK(back.value().internal);
    CHECK(user_network("x", id_with_prefix("0123456789abcdef")).bridge_name() == "br-0123456789ab");
}
