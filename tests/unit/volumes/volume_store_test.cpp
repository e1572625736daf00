#include <catch2/catch.hpp>

#include "engine/sys/files.hpp"
#include "tests/support/temp_dir.hpp"
#include "volumes/volume_store.hpp"

using volumes::VolumeStore;

TEST_CASE("volume names: docker's pattern, no slashes or dot-dot", "[volumes]") {
    CHECK(volumes::valid_name("data"));
    CHECK(volumes::valid_name("my_vol.1-x"));
    CHECK_FALSE(volumes::valid_name("a"));
    CHECK_FALSE(volumes::valid_name(".."));
    CHECK_FALSE(volumes::valid_name("../etc"));
    CHECK_FALSE(volumes::valid_name("a/b"));
    CHECK_FALSE(volumes::valid_name("-x"));
    CHECK(volumes::new_anonymous_name().size() == 64);
}

TEST_CASE("VolumeStore: create writes volume.json and _data; create is idempotent", "[volumes]") {
    TempDir dir;
    auto store = VolumeStore::open(dir.root.string()).value();
    auto v = store.create({"data", "local", {{"k", "v"}}, {}});
    REQUIRE(v.ok());
    CHECK(v.value().mountpoint == dir.root.string() + "/volumes/data/_data");
    CHECK(std::filesystem::is_directory(v.value().mountpoint));
    auto doc = nlohmann::json::parse(dir.read("volumes/data/volume.json"));
    CHECK(doc["Name"] == "data");
    CHECK(doc["Driver"] == "local");
    CHECK(doc["Scope"] == "local");
    CHECK(doc["Labels"]["k"] == "v");
    dir.write("volumes/data/_data/file", "kept");
    auto again = store.create({"data", "local", {}, {}});
    REQUIRE(again.ok());
    CHECK(dir.read("volumes/data/_data/file") == "kept");
    auto conflict = store.create({"data", "local", {}, {{"type", "tmpfs"}, {"device", "tmpfs"}}});
    CHECK(conflict.error().message == "create data: volume already exists with different options");
}

TEST_CASE("VolumeStore: hostile names and options create nothing", "[volumes]") {
    TempDir dir;
    auto store = VolumeStore::open(dir.root.string()).value();
    CHECK(store.create({"../escape", "local", {}, {}}).error().message.find("includes invalid characters") !=
          std::string::npos);
    CHECK_FALSE(store.create({"a/b", "local", {}, {}}).ok());
    CHECK_FALSE(store.create({"..", "local", {}, {}}).ok());
    CHECK(store.create({"vx", "local", {}, {{"bogus", "1"}}}).error().message ==
          "create vx: invalid option: \"bogus\"");
    CHECK(store.create({"vx", "other", {}, {}}).error().message == "create vx: plugin \"other\" not found");
    CHECK(store.list().empty());
    CHECK(std::filesystem::is_empty(dir.root / "volumes"));
    CHECK_FALSE(std::filesystem::exists(dir.root / "escape"));
}

TEST_CASE("VolumeStore: list filters, remove in use, prune", "[volumes]") {
    TempDir dir;
    auto store = VolumeStore::open(dir.root.string()).value();
    REQUIRE(store.create({"named1", "local", {{"team", "a"}}, {}}).ok());
    REQUIRE(store.create({"named2", "local", {}, {}}).ok());
    auto anon = store.create({"", "local", {{volumes::kAnonymousLabel, ""}}, {}});
    REQUIRE(anon.ok());
    CHECK(anon.value().anonymous());
    std::set<std::string> in_use = {"named2"};
    auto names = [](const std::vector<volumes::Volume>& vs) {
        std::vector<std::string> out;
        for (const auto& v : vs) out.push_back(v.name);
        return out;
    };
    CHECK(names(store.list({{"name", {"named"}}}, in_use)) == std::vector<std::string>{"named1", "named2"});
    CHECK(names(store.list({{"label", {"team=a"}}}, in_use)) == std::vector<std::string>{"named1"});
    CHECK(names(store.list({{"label!", {"team"}}, {"name", {"named"}}}, in_use)) ==
          std::vector<std::string>{"named2"});
    CHECK(names(store.list({{"dangling", {"false"}}}, in_use)) == std::vector<std::string>{"named2"});
    CHECK(store.list({{"dangling", {"true"}}}, in_use).size() == 2);
    CHECK(store.remove("named2", in_use).error().message == "remove named2: volume is in use");
    CHECK(store.remove("nope", in_use).error().message == "remove nope: no such volume");

    auto pruned = store.prune(false, {}, in_use);
    REQUIRE(pruned.ok());
    CHECK(pruned.value().first == std::vector<std::string>{anon.value().name});
    CHECK(names(store.list()) == std::vector<std::string>{"named1", "named2"});
    auto all = store.prune(true, {}, in_use);
    REQUIRE(all.ok());
    CHECK(all.value().first == std::vector<std::string>{"named1"});
    CHECK(names(store.list()) == std::vector<std::string>{"named2"});
    REQUIRE(store.remove("named2", {}).ok());
    CHECK_FALSE(std::filesystem::exists(dir.root / "volumes/named2"));
}
