#include "compose/profiles.hpp"

#include <catch2/catch.hpp>

#include "compose/yaml_parse.hpp"

// Scenarios of compose-go loader/tests/profiles_test.go, graph/services.go, compose-spec
// 15-profiles.md and docker/compose's e2e profile tests, in canonical long syntax.

namespace {
using compose::Document;
using Names = std::vector<std::string>;

Document load(const std::string& text) {
    return compose::parse_yaml(text, "compose.yaml", "/p").front();
}

Names services_after(const std::string& text, const Names& active, const Names& requested = {}) {
    auto doc = load(text);
    compose::apply_profiles(doc, active, requested);
    Names out;
    for (const auto& [name, _] : doc.tree["services"].items()) out.push_back(name);
    return out;
}

std::string error_of(const std::string& text, const Names& active, const Names& requested = {}) {
    auto doc = load(text);
    try {
        compose::apply_profiles(doc, active, requested);
    } catch (const schema::LoadError& e) {
        return e.what();
    }
    return "";
}

const char* kSpecExample = R"(services:
  foo:
    image: foo
  bar:
    image: bar
    profiles: [test]
  baz:
    image: baz
    depends_on: {bar: {condition: service_started, required: true}}
    profiles: [test]
  other:
    image: o
    profiles: [debug, dev]
)";
}  // namespace

TEST_CASE("profiles: services without profiles are always enabled", "[compose][profiles]") {
    CHECK(services_after(kSpecExample, {}) == Names{"foo"});
    CHECK(services_after(kSpecExample, {"test"}) == Names{"bar", "baz", "foo"});
    CHECK(services_after(kSpecExample, {"dev"}) == Names{"foo", "other"});
    CHECK(services_after(kSpecExample, {"*"}) == Names{"bar", "baz", "foo", "other"});
}

TEST_CASE("profiles: a service named on the command line activates its profiles",
          "[compose][profiles]") {
    CHECK(services_after(kSpecExample, {}, {"baz"}) == Names{"bar", "baz", "foo"});
    CHECK(services_after(kSpecExample, {}, {"foo", "nope"}) == Names{"foo"});
}

TEST_CASE("profiles: a required reference to a disabled service is an error",
          "[compose][profiles]") {
    CHECK(error_of(R"(services:
  foo: {image: foo}
  zot:
    image: zot
    depends_on: {bar: {condition: service_started, required: true}}
    links: [bar:db]
    volumes_from: [bar:ro, "container:x"]
    network_mode: service:bar
    profiles: [debug]
  bar:
    image: bar
    profiles: [test, other]
)",
                   {"debug"}) ==
          "compose.yaml:5:18: services.zot.depends_on.bar: service \"bar\" is required by \"zot\" "
          "but is disabled (profiles: test, other)\n"
          "compose.yaml:6:13: services.zot.links[0]: service \"bar\" is required by \"zot\" but "
          "is disabled (profiles: test, other)\n"
          "compose.yaml:7:20: services.zot.volumes_from[0]: service \"bar\" is required by "
          "\"zot\" but is disabled (profiles: test, other)\n"
          "compose.yaml:8:19: services.zot.network_mode: service \"bar\" is required by \"zot\" "
          "but is disabled (profiles: test, other)");
    SECTION("the model without locations") {
        auto model = load("services:\n  a: {image: a, depends_on: {b: {required: true}}}\n"
                          "  b: {image: b, profiles: [x]}\n")
                         .tree;
        try {
            compose::apply_profiles(model, {}, {});
            FAIL("no error");
        } catch (const schema::LoadError& e) {
            CHECK(std::string(e.what()) == "services.a.depends_on.b: service \"b\" is required by "
                                           "\"a\" but is disabled (profiles: x)");
        }
    }
}

TEST_CASE("profiles: a dependency that is not required may be disabled", "[compose][profiles]") {
    const char* text = R"(services:
  foo:
    image: bash
    depends_on:
      bar: {required: false, condition: service_healthy}
      db: {required: true, condition: service_started}
  bar: {image: alpine, profiles: [not-required]}
  db: {image: pg}
)";
    auto doc = load(text);
    compose::apply_profiles(doc, {}, {});
    CHECK(doc.tree["services"]["foo"]["depends_on"].dump() ==
          R"({"db":{"condition":"service_started","required":true}})");
    CHECK_FALSE(doc.tree["services"].contains("bar"));

    auto enabled = load(text);
    compose::apply_profiles(enabled, {"not-required"}, {});
    CHECK(enabled.tree["services"]["foo"]["depends_on"].size() == 2);
}

TEST_CASE("profiles: all profiles are listed sorted and once", "[compose][profiles]") {
    CHECK(compose::all_profiles(load(kSpecExample).tree) == Names{"debug", "dev", "test"});
    CHECK(compose::all_profiles(load("services: {}").tree).empty());
}
