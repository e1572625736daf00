#include "compose/select_services.hpp"

#include <catch2/catch.hpp>

#include "compose/yaml_parse.hpp"

// `config SERVICE...` as compose-go's Project.WithSelectedServices: the named services plus
// what they depend on, in canonical long syntax.

namespace {
using Names = std::vector<std::string>;

compose::Document load(const std::string& text) {
    return compose::parse_yaml(text, "compose.yaml", "/p").front();
}

Names selected(const std::string& text, const Names& names) {
    auto doc = load(text);
    compose::select_services(doc, names);
    Names out;
    for (const auto& [name, _] : doc.tree["services"].items()) out.push_back(name);
    return out;
}

const char* kChain = R"(services:
  web: {image: w, depends_on: {api: {condition: service_started, required: true}}}
  api: {image: a, links: [cache], network_mode: "service:net"}
  cache: {image: c, volumes_from: [data]}
  data: {image: d}
  net: {image: n}
  other: {image: o}
)";
}  // namespace

TEST_CASE("select_services: no names keeps every service", "[compose]") {
    CHECK(selected(kChain, {}) == Names{"api", "cache", "data", "net", "other", "web"});
}

TEST_CASE("select_services: a name brings its transitive dependencies", "[compose]") {
    SECTION("depends_on, links, volumes_from and service: namespaces") {
        CHECK(selected(kChain, {"web"}) == Names{"api", "cache", "data", "net", "web"});
    }
    SECTION("dependents are not selected") {
        CHECK(selected(kChain, {"cache"}) == Names{"cache", "data"});
    }
    SECTION("several names") { CHECK(selected(kChain, {"other", "net"}) == Names{"net", "other"}); }
}

TEST_CASE("select_services: a dependency outside the selection is dropped", "[compose]") {
    auto doc = load(R"(services:
  web:
    image: w
    depends_on: {gone: {condition: service_started, required: false}}
)");
    compose::select_services(doc, {"web"});
    CHECK_FALSE(doc.tree["services"]["web"].contains("depends_on"));
}

TEST_CASE("select_services: an unknown name is an error", "[compose]") {
    auto doc = load(kChain);
    CHECK_THROWS_WITH(compose::select_services(doc, {"web", "nope"}), "no such service: nope");
}
