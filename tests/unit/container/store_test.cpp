#include <catch2/catch.hpp>

#include "engine/container/containers.hpp"
#include "engine/container/store.hpp"
#include "engine/sys/clock.hpp"
#include "tests/support/temp_dir.hpp"

using engine::container::ContainerRecord;
using engine::container::ContainerStore;

namespace {

ContainerRecord record(const std::string& name, const std::string& created) {
    ContainerRecord r;
    r.id = engine::container::new_container_id();
    r.name = name;
    r.created = created;
    return r;
}

}  // namespace

TEST_CASE("container store: add, find by id, prefix and name, list newest first", "[container]") {
    TempDir tmp;
    auto store = ContainerStore::open(tmp.root.string());
    REQUIRE(store);
    auto a = record("alpha", "2026-01-01T00:00:00.000000000Z");
    auto b = record("beta", "2026-01-02T00:00:00.000000000Z");
    REQUIRE(store.value().add(a));
    REQUIRE(store.value().add(b));
    CHECK(store.value().find(a.id).value().name == "alpha");
    CHECK(store.value().find("/beta").value().id == b.id);
    CHECK(store.value().find(b.id.substr(0, 10)).value().name == "beta");
    auto listed = store.value().list();
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].name == "beta");
    CHECK(store.value().find("gamma").error().message == "No such container: gamma");
}

TEST_CASE("container store: names are unique, rename and remove", "[container]") {
    TempDir tmp;
    auto store = ContainerStore::open(tmp.root.string()).value();
    auto a = record("web", "2026-01-01T00:00:00Z");
    REQUIRE(store.add(a));
    auto clash = store.add(record("web", "2026-01-01T00:00:01Z"));
    REQUIRE_FALSE(clash);
    CHECK(clash.error().message.find("Conflict. The container name \"/web\" is already in use by container \"" + a.id) == 0);
    auto b = record("db", "2026-01-01T00:00:02Z");
    REQUIRE(store.add(b));
    CHECK_FALSE(store.rename(b.id, "web"));
    REQUIRE(store.rename(b.id, "database"));
    CHECK(store.find("database").value().id == b.id);
    REQUIRE(store.remove(a.id));
    CHECK_FALSE(store.find("web"));
    CHECK_FALSE(std::filesystem::exists(store.dir(a.id)));
}

TEST_CASE("container names: docker's pattern and generated names", "[container]") {
    using engine::container::valid_container_name;
    CHECK(valid_container_name("web-1.a_b"));
    CHECK(valid_container_name("/web"));
    CHECK_FALSE(valid_container_name("-web"));
    CHECK_FALSE(valid_container_name("a"));
    CHECK_FALSE(valid_container_name("we/b"));
    int calls = 0;
    std::string name = engine::container::generate_name([&](const std::string&) { return ++calls < 3; });
    CHECK(calls == 3);
    CHECK(valid_container_name(name));
}

TEST_CASE("parse_signal: names, SIG prefix, numbers", "[container]") {
    using engine::container::parse_signal;
    CHECK(parse_signal("KILL") == 9);
    CHECK(parse_signal("sigterm") == 15);
    CHECK(parse_signal("1") == 1);
    CHECK(parse_signal("NOPE") == 0);
    CHECK(parse_signal("999") == 0);
}

TEST_CASE("clock: RFC 3339 round trip and docker's human durations", "[container]") {
    using namespace engine::sys;
    std::int64_t t = 1796000000123456789;
    CHECK(parse_rfc3339(format_rfc3339_nano(t)) == t);
    CHECK(parse_rfc3339("2026-11-28T20:34:20+01:00") == parse_rfc3339("2026-11-28T19:34:20Z"));
    CHECK_FALSE(parse_rfc3339("yesterday"));
    CHECK(human_duration(500000000) == "Less than a second");
    CHECK(human_duration(5000000000) == "5 seconds");
    CHECK(human_duration(61000000000) == "About a minute");
    CHECK(human_duration(3LL * 3600 * 1000000000) == "3 hours");
    CHECK(human_duration(3LL * 86400 * 1000000000) == "3 days");
}
