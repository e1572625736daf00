#include <catch2/catch.hpp>

#include "engine/daemon/query.hpp"
#include "engine/daemon/router.hpp"

using namespace engine::daemon;

TEST_CASE("version prefixes are stripped from API paths", "[daemon]") {
    CHECK(strip_version_prefix("/v1.41/containers/json") == "/containers/json");
    CHECK(strip_version_prefix("/v1.24/_ping") == "/_ping");
    CHECK(strip_version_prefix("/v2/info") == "/info");
    CHECK(strip_version_prefix("/v1.41") == "/");
    CHECK(strip_version_prefix("/version") == "/version");
    CHECK(strip_version_prefix("/volumes/x") == "/volumes/x");
    CHECK(strip_version_prefix("/v1.41x/info") == "/v1.41x/info");
}

TEST_CASE("the router matches methods, parameters and greedy image names", "[daemon]") {
    Router<int> router;
    router.add("GET", "/containers/json", 1);
    router.add("GET", "/containers/{id}/json", 2);
    router.add("POST", "/containers/{id}/start", 3);
    router.add("GET", "/images/{name*}/json", 4);
    router.add("DELETE", "/containers/{id}", 5);

    auto m = router.match("GET", "/containers/json");
    REQUIRE(m.kind == Router<int>::Match::Kind::kFound);
    CHECK(*m.handler == 1);

    m = router.match("GET", "/containers/abc/json");
    REQUIRE(m.kind == Router<int>::Match::Kind::kFound);
    CHECK(*m.handler == 2);
    CHECK(m.params.at("id") == "abc");

    m = router.match("GET", "/images/127.0.0.1:5999/x:v1/json");
    REQUIRE(m.kind == Router<int>::Match::Kind::kFound);
    CHECK(*m.handler == 4);
    CHECK(m.params.at("name") == "127.0.0.1:5999/x:v1");

    CHECK(router.match("GET", "/containers/abc/start").kind == Router<int>::Match::Kind::kMethodNotAllowed);
    CHECK(router.match("GET", "/nothing/here").kind == Router<int>::Match::Kind::kNotFound);
    CHECK(router.match("GET", "/images/json").kind == Router<int>::Match::Kind::kNotFound);
    m = router.match("DELETE", "/containers/web");
    REQUIRE(m.kind == Router<int>::Match::Kind::kFound);
    CHECK(m.params.at("id") == "web");
}

TEST_CASE("query strings decode as form data", "[daemon]") {
    auto q = Query::parse("all=1&filters=%7B%22a%22%3A1%7D&name=a+b&force=True&v=False&x=&x=2");
    CHECK(q.get("filters") == "{\"a\":1}");
    CHECK(q.get("name") == "a b");
    CHECK(q.flag("all").value());
    CHECK(q.flag("force").value());
    CHECK_FALSE(q.flag("v").value());
    CHECK_FALSE(q.flag("missing").value());
    CHECK(q.flag("missing", true).value());
    CHECK(q.all("x") == std::vector<std::string>{"", "2"});
    CHECK_FALSE(Query::parse("all=maybe").flag("all").ok());
    CHECK(Query::parse("t=5").integer("t").value() == 5);
    CHECK_FALSE(Query::parse("t=five").integer("t").ok());
    CHECK_FALSE(Query::parse("").integer("t").value().has_value());
}

TEST_CASE("filters parse in the map form and the list form", "[daemon]") {
    auto map_form = parse_filters(R"({"label":{"a=1":true,"b":true},"status":{"exited":true}})");
    REQUIRE(map_form.ok());
    CHECK(map_form.value().at("label") == std::vector<std::string>{"a=1", "b"});
    CHECK(map_form.value().at("status") == std::vector<std::string>{"exited"});

    auto list_form = parse_filters(R"({"label":["com.docker.compose.project=p","com.docker.compose.oneoff=False"]})");
    REQUIRE(list_form.ok());
    CHECK(list_form.value().at("label").size() == 2);
    CHECK(filter_strings(list_form.value()) ==
          std::vector<std::string>{"label=com.docker.compose.project=p", "label=com.docker.compose.oneoff=False"});

    CHECK(parse_filters("").value().empty());
    CHECK_FALSE(parse_filters("{not json").ok());
    CHECK_FALSE(parse_filters(R"({"label":5})").ok());
    CHECK_FALSE(parse_filters(R"([1,2])").ok());
    CHECK_FALSE(check_filter_keys(map_form.value(), {"label"}).ok());
    CHECK(check_filter_keys(map_form.value(), {"label", "status"}).ok());
}
