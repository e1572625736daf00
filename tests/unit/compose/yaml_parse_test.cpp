#include "compose/yaml_parse.hpp"

#include <catch2/catch.hpp>
#include <fmt/format.h>

using compose::parse_yaml;

namespace {
compose::Tree parse_one(const std::string& text) {
    auto docs = parse_yaml(text, "compose.yaml", "/p");
    REQUIRE(docs.size() == 1);
    return docs.front().tree;
}

std::string error_of(const std::string& text) {
    try {
        parse_yaml(text, "compose.yaml", "/p");
    } catch (const schema::LoadError& e) {
        return e.what();
    }
    return "";
}
}  // namespace

TEST_CASE("yaml: plain scalars follow the YAML 1.2 core schema", "[compose]") {
    auto t = parse_one("a: no\nb: true\nc: 12\nd: 1.5\ne: ~\nf: \"12\"\ng: on\nh: 0x1f\ni: '1.5'\n");
    CHECK(t["a"] == "no");
    CHECK(t["b"] == true);
    CHECK(t["c"] == 12);
    CHECK(t["d"] == 1.5);
    CHECK(t["e"].is_null());
    CHECK(t["f"] == "12");
    CHECK(t["g"] == "on");
    CHECK(t["h"] == 31);
    CHECK(t["i"] == "1.5");
    CHECK(compose::plain_scalar("-1e3") == -1000.0);
    CHECK(compose::plain_scalar(".5") == 0.5);
    CHECK(compose::plain_scalar("1.2.3") == "1.2.3");
    CHECK(compose::plain_scalar("0o17") == 15);
    CHECK(compose::plain_scalar("0440") == 288);
    CHECK(compose::plain_scalar("-0") == 0);
    CHECK(compose::plain_scalar("99999999999999999999") == 1e20);
    CHECK(compose::plain_scalar("+") == "+");
    CHECK(compose::plain_scalar("1E999") == "1E999");  // out of range: kept as text
}

TEST_CASE("yaml: merge keys and aliases are expanded, explicit keys win", "[compose]") {
    auto t = parse_one("x: &base {a: 1, b: 2}\ny:\n  <<: *base\n  b: 3\n");
    CHECK(t["y"]["a"] == 1);
    CHECK(t["y"]["b"] == 3);
    SECTION("a merge key must name a mapping or a list of them") {
        CHECK(error_of("x: &s not-a-map\ny:\n  <<: *s\n") ==
              "compose.yaml:3:3: y: map merge requires map or sequence of maps as the value");
        CHECK(error_of("y:\n  <<: [{a: 1}, 2]\n") ==
              "compose.yaml:2:3: y: map merge requires map or sequence of maps as the value");
    }
}

TEST_CASE("yaml: a key's own location is kept where its value is a scalar", "[compose]") {
    auto docs = parse_yaml("services:\n  web:\n    image: nginx\n", "c.yaml", "/p");
    CHECK(docs.front().locations.find_key("services.web.image").to_string() == "c.yaml:3:5");
    CHECK(docs.front().locations.find_key("services.web").to_string() == "c.yaml:2:3");
}

TEST_CASE("yaml: locations are recorded per key", "[compose]") {
    auto docs = parse_yaml("services:\n  web:\n    image: nginx\n", "c.yaml", "/p");
    auto at = docs.front().locations.find("services.web.image");
    CHECK(at.to_string() == "c.yaml:3:12");
    CHECK(docs.front().locations.find("services.web.image.missing").line == 3);
}

TEST_CASE("yaml: !reset and !override are recorded as merge tags", "[compose]") {
    auto docs = parse_yaml("services:\n  a:\n    ports: !reset []\n    env: !override {}\n",
                           "c.yaml", "/p");
    CHECK(docs.front().tags.at("services.a.ports") == compose::MergeTag::reset);
    CHECK(docs.front().tags.at("services.a.env") == compose::MergeTag::override_);
}

TEST_CASE("yaml: bad input gets a located error", "[compose]") {
    CHECK(error_of("a: 1\na: 2\n") == "compose.yaml:2:1: a: mapping key \"a\" already defined at line 1");
    CHECK(error_of("1: x\n") == "compose.yaml:1:1: non-string key at top level: 1");
    CHECK(error_of("x: &s text\ny:\n  <<: *s\n") ==
          "compose.yaml:3:3: y: map merge requires map or sequence of maps as the value");
    CHECK(error_of("a: [1, 2\n").rfind("compose.yaml:", 0) == 0);
    CHECK(error_of(std::string("a: \xff\xfe\n")) ==
          "compose.yaml:1:4: file is not UTF-8 text (binary data?)");
    std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'k'; ++c)
        bomb += fmt::format("{}: &{} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n",
                            c, c, fmt::arg("p", std::string(1, char(c - 1))));
    CHECK(error_of(bomb).find("excessive aliasing") != std::string::npos);
}

TEST_CASE("yaml: streams that make yaml-cpp's LoadAll loop forever end", "[compose]") {
    // A lone "," yields empty documents forever from LoadAll (yaml-cpp issue 1040); found by
    // the loader's fuzz target.
    CHECK(parse_yaml(",", "c.yaml", "/p").size() == 1);
    CHECK(parse_yaml(", restart:\"true}}\n    x: {rt:\"curl -f ", "c.yaml", "/p").size() <= 1);
}

TEST_CASE("yaml: an alias under a key that extends its anchor's path ends", "[compose]") {
    // "x.l" looks like a child of "x": copying x's locations there once grew without end.
    auto docs = parse_yaml("x: &a {k: v}\nx.l:\n  w:\n    <<: *a\n", "c.yaml", "/p");
    CHECK(docs.front().tree["x.l"]["w"]["k"] == "v");
}

TEST_CASE("yaml: several documents in one file", "[compose]") {
    auto docs = parse_yaml("a: 1\n---\nb: 2\n", "c.yaml", "/p");
    REQUIRE(docs.size() == 2);
    CHECK(docs[1].tree["b"] == 2);
}
