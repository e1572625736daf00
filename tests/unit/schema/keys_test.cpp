#include "schema/keys.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <string>

#include <catch2/catch.hpp>

using schema::Cast;
using schema::Merge;
using schema::PathKind;

namespace {
std::string pattern_of(const std::vector<std::string>& segments) {
    const auto* spec = schema::find(segments);
    return spec ? std::string(spec->pattern) : "<none>";
}

const schema::KeySpec& spec(const std::vector<std::string>& segments) {
    const auto* found = schema::find(segments);
    REQUIRE(found);
    return *found;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}
}  // namespace

TEST_CASE("keys: find resolves user names and list items to patterns", "[schema]") {
    CHECK(pattern_of({"services", "web", "image"}) == "services.*.image");
    CHECK(pattern_of({"services", "web", "ports", "[]", "target"}) == "services.*.ports[].target");
    CHECK(pattern_of({"services", "web", "environment", "HOME"}) == "services.*.environment.*");
    CHECK(pattern_of({"services", "web", "environment", "[]"}) == "services.*.environment[]");
    SECTION("a service named like a key is still a service") {
        CHECK(pattern_of({"services", "image"}) == "services.*");
        CHECK(pattern_of({"services", "build", "build", "context"}) ==
              "services.*.build.context");
    }
    SECTION("unknown keys and indexes given as numbers are not found") {
        CHECK(pattern_of({"services", "web", "imgae"}) == "<none>");
        CHECK(pattern_of({"services", "web", "ports", "0"}) == "<none>");
        CHECK(pattern_of({"services", "[]"}) == "<none>");
    }
}

TEST_CASE("keys: child_keys lists fixed keys only", "[schema]") {
    auto top = schema::child_keys({});
    CHECK(top == std::vector<std::string>{"configs", "include", "models", "name", "networks",
                                          "secrets", "services", "version", "volumes"});
    CHECK(schema::child_keys({"services"}).empty());
    CHECK(schema::child_keys({"services", "web", "environment"}).empty());
    auto service = schema::child_keys({"services", "web"});
    CHECK(contains(service, "image"));
    CHECK(contains(service, "pre_start"));
    CHECK(service.size() >= 92);
    CHECK(schema::child_keys({"services", "web", "ports", "[]"}) ==
          std::vector<std::string>{"app_protocol", "host_ip", "mode", "name", "protocol",
                                   "published", "target"});
}

TEST_CASE("keys: merge rules follow compose-go", "[schema]") {
    CHECK(spec({"services", "a", "command"}).merge == Merge::replace);
    CHECK(spec({"services", "a", "entrypoint"}).merge == Merge::replace);
    CHECK(spec({"services", "a", "healthcheck", "test"}).merge == Merge::replace);
    CHECK(spec({"services", "a", "ulimits", "nofile"}).merge == Merge::replace);
    for (auto key : {"environment", "labels", "annotations", "sysctls", "extra_hosts"})
        CHECK(spec({"services", "a", key}).merge == Merge::to_map);
    CHECK(spec({"services", "a", "build", "args"}).merge == Merge::to_map);
    CHECK(spec({"services", "a", "deploy", "labels"}).merge == Merge::to_map);
    CHECK(spec({"networks", "n", "labels"}).merge == Merge::to_map);
    CHECK(spec({"volumes", "v", "labels"}).merge == Merge::to_map);
    for (auto key : {"cap_add", "cap_drop", "dns", "dns_search", "dns_opt", "profiles", "links",
                     "expose", "external_links", "security_opt", "tmpfs", "group_add"})
        CHECK(spec({"services", "a", key}).merge == Merge::unique);
    CHECK(spec({"services", "a", "build", "tags"}).merge == Merge::unique);
    CHECK(spec({"services", "a", "networks", "n", "aliases"}).merge == Merge::unique);

    auto by_key = [](std::vector<std::string> at, std::string_view key) {
        const auto& s = spec(at);
        CHECK(s.merge == Merge::by_key);
        CHECK(s.merge_key == key);
    };
    by_key({"services", "a", "volumes"}, "target");
    by_key({"services", "a", "devices"}, "target");
    by_key({"services", "a", "secrets"}, "target");
    by_key({"services", "a", "configs"}, "target");
    by_key({"services", "a", "ports"}, "ports");
    by_key({"services", "a", "env_file"}, "path");
    by_key({"networks", "n", "ipam", "config"}, "subnet");

    const auto& logging = spec({"services", "a", "logging"});
    CHECK(logging.merge == Merge::deep);
    CHECK(logging.merge_key == "driver");
    CHECK(spec({"services", "a", "image"}).merge == Merge::deep);
}

TEST_CASE("keys: casts follow compose-go's interpolation type casts", "[schema]") {
    CHECK(spec({"services", "a", "ports", "[]", "target"}).cast == Cast::to_int);
    CHECK(spec({"services", "a", "ports", "[]", "published"}).cast == Cast::none);
    for (auto key : {"init", "tty", "stdin_open", "privileged", "read_only", "oom_kill_disable"})
        CHECK(spec({"services", "a", key}).cast == Cast::to_bool);
    CHECK(spec({"services", "a", "cpus"}).cast == Cast::to_float);
    CHECK(spec({"services", "a", "scale"}).cast == Cast::to_int);
    CHECK(spec({"services", "a", "healthcheck", "retries"}).cast == Cast::to_int);
    CHECK(spec({"services", "a", "deploy", "replicas"}).cast == Cast::to_int);
    CHECK(spec({"services", "a", "ulimits", "nofile"}).cast == Cast::to_int);
    CHECK(spec({"services", "a", "ulimits", "nofile", "soft"}).cast == Cast::to_int);
    for (auto top : {"networks", "volumes", "secrets", "configs"})
        CHECK(spec({top, "x", "external"}).cast == Cast::to_bool);
    CHECK(spec({"services", "a", "mem_limit"}).cast == Cast::none);
}

TEST_CASE("keys: path-valued keys", "[schema]") {
    CHECK(spec({"services", "a", "build"}).path == PathKind::context);
    CHECK(spec({"services", "a", "build", "context"}).path == PathKind::context);
    CHECK(spec({"services", "a", "build", "additional_contexts", "x"}).path == PathKind::context);
    CHECK(spec({"services", "a", "build", "dockerfile"}).path == PathKind::none);
    CHECK(spec({"services", "a", "volumes", "[]", "source"}).path == PathKind::bind_source);
    for (std::vector<std::string> at : std::vector<std::vector<std::string>>{
             {"services", "a", "env_file", "[]", "path"},
             {"services", "a", "label_file"},
             {"services", "a", "extends", "file"},
             {"services", "a", "develop", "watch", "[]", "path"},
             {"secrets", "s", "file"},
             {"configs", "c", "file"},
             {"include", "[]", "path"},
             {"include", "[]", "env_file", "[]"},
             {"include", "[]", "project_directory"}})
        CHECK(spec(at).path == PathKind::path);
}

TEST_CASE("keys: accepted-only keys tell users what berth ignores", "[schema]") {
    const auto& placement = spec({"services", "a", "deploy", "placement"});
    CHECK(placement.support == schema::Support::accepted);
    CHECK(placement.note == "deploy.placement is swarm-only; berth ignores it");
    CHECK(spec({"services", "a", "deploy", "resources"}).support == schema::Support::supported);
    CHECK(spec({"models"}).support == schema::Support::accepted);
    CHECK(spec({"services", "a", "develop"}).support == schema::Support::accepted);
}

TEST_CASE("keys: the table is consistent", "[schema]") {
    std::set<std::string_view> seen;
    for (const auto& k : schema::keys()) {
        INFO(k.pattern);
        CHECK(seen.insert(k.pattern).second);
        CHECK(k.types != 0);
        // Every entry hangs below an entry for its parent, so validation can reach it.
        auto segments = schema::split_pattern(k.pattern);
        if (segments.size() > 1) {
            segments.pop_back();
            CHECK(schema::find(segments) != nullptr);
        }
        if (k.support == schema::Support::accepted) CHECK(!k.note.empty());
        if (k.merge == Merge::by_key) CHECK(!k.merge_key.empty());
        if (!k.name_pattern.empty()) CHECK_NOTHROW(std::regex(std::string(k.name_pattern)));
        if (!k.value_pattern.empty()) CHECK_NOTHROW(std::regex(std::string(k.value_pattern)));
    }
}
