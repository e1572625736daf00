#include "compose/dependency_graph.hpp"

#include <catch2/catch.hpp>

#include "compose/canonicalize.hpp"
#include "compose/yaml_parse.hpp"

using compose::DependencyGraph;
using Names = std::vector<std::string>;

namespace {
DependencyGraph graph(const std::string& text) {
    auto doc = compose::parse_yaml(text, "compose.yaml", "/p").front();
    compose::canonicalize(doc);
    return DependencyGraph(doc.tree);
}
}  // namespace

TEST_CASE("graph: order, reverse order and levels are deterministic", "[compose][graph]") {
    auto g = graph(R"(services:
  web: {depends_on: [db, cache], links: ["api:backend"]}
  api: {depends_on: {db: {condition: service_healthy}}}
  db: {}
  cache: {network_mode: "service:db"}
  worker: {volumes_from: ["cache:ro", "container:other"]}
  lone: {}
)");
    CHECK(g.services() == Names{"api", "cache", "db", "lone", "web", "worker"});
    CHECK(g.dependencies("web") == std::set<std::string>{"api", "cache", "db"});
    CHECK(g.order() == Names{"db", "lone", "api", "cache", "web", "worker"});
    CHECK(g.reverse_order() == Names{"worker", "web", "cache", "api", "lone", "db"});
    CHECK(g.levels() ==
          std::vector<Names>{{"db", "lone"}, {"api", "cache"}, {"web", "worker"}});
    CHECK(g.find_cycle().empty());
}

TEST_CASE("graph: cycles are found and rendered deterministically", "[compose][graph]") {
    SECTION("three services") {
        auto g = graph("services:\n  service3: {depends_on: [service1]}\n"
                       "  service1: {depends_on: [service2]}\n"
                       "  service2: {depends_on: [service3]}\n");
        CHECK(DependencyGraph::render(g.find_cycle()) ==
              "service1 -> service2 -> service3 -> service1");
        CHECK_THROWS_WITH(g.order(), "dependency cycle detected: service1 -> service2 -> "
                                     "service3 -> service1");
    }
    SECTION("a service depending on itself") {
        auto g = graph("services:\n  a: {depends_on: [a]}\n");
        CHECK(g.find_cycle() == Names{"a", "a"});
    }
    SECTION("a cycle not through the first service") {
        auto g = graph("services:\n  a: {depends_on: [b]}\n  b: {depends_on: [c]}\n"
                       "  c: {links: [b]}\n");
        CHECK(DependencyGraph::render(g.find_cycle()) == "b -> c -> b");
    }
}

TEST_CASE("graph: dangling references are rejected unless optional", "[compose][graph]") {
    CHECK_THROWS_WITH(graph("services:\n  a: {depends_on: [ghost]}\n"),
                      "service \"a\" depends on undefined service \"ghost\"");
    CHECK_THROWS_WITH(graph("services:\n  a: {network_mode: \"service:ghost\"}\n"),
                      "service \"a\" depends on undefined service \"ghost\"");
    auto g = graph("services:\n  a:\n    depends_on:\n      ghost: {required: false}\n");
    CHECK(g.order() == Names{"a"});
}
