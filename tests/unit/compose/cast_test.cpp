#include "compose/cast.hpp"

#include <sstream>

#include <catch2/catch.hpp>

#include "tests/support/captured_log.hpp"
#include <spdlog/sinks/ostream_sink.h>

#include "compose/log.hpp"
#include "compose/yaml_parse.hpp"

namespace {
compose::Document cast(const std::string& text) {
    auto docs = compose::parse_yaml(text, "compose.yaml", "/p");
    REQUIRE(docs.size() == 1);
    compose::cast_types(docs.front());
    return docs.front();
}

}  // namespace

TEST_CASE("cast: interpolated strings get their schema type", "[schema]") {
    auto doc = cast(R"(
services:
  web:
    scale: "3"
    cpus: "1.5"
    tty: "true"
    init: "FALSE"
    ports:
      - {target: "8080", published: "80"}
    ulimits:
      nproc: "65535"
      nofile: {soft: "1024", hard: "+2048"}
    healthcheck: {retries: "5"}
networks:
  outside: {external: "true"}
)");
    const auto& web = doc.tree["services"]["web"];
    CHECK(web["scale"] == 3);
    CHECK(web["cpus"] == 1.5);
    CHECK(web["tty"] == true);
    CHECK(web["init"] == false);
    CHECK(web["ports"][0]["target"] == 8080);
    CHECK(web["ulimits"]["nproc"] == 65535);
    CHECK(web["ulimits"]["nofile"]["soft"] == 1024);
    CHECK(web["ulimits"]["nofile"]["hard"] == 2048);
    CHECK(web["healthcheck"]["retries"] == 5);
    CHECK(doc.tree["networks"]["outside"]["external"] == true);
    SECTION("keys without a cast keep their strings") {
        CHECK(web["ports"][0]["published"] == "80");
    }
}

TEST_CASE("cast: strings that do not convert are left for validation", "[schema]") {
    auto doc = cast(R"(
services:
  web:
    scale: "three"
    cpus: "inf"
    tty: "maybe"
    ports: [{target: "80.5"}, {target: "${PORT}"}]
    environment: {DEBUG: "true", N: "1"}
)");
    const auto& web = doc.tree["services"]["web"];
    CHECK(web["scale"] == "three");
    CHECK(web["cpus"] == "inf");
    CHECK(web["tty"] == "maybe");
    CHECK(web["ports"][0]["target"] == "80.5");
    CHECK(web["ports"][1]["target"] == "${PORT}");
    CHECK(web["environment"]["DEBUG"] == "true");
    CHECK(web["environment"]["N"] == "1");
}

TEST_CASE("cast: YAML 1.1 booleans convert with a located warning", "[schema]") {
    CapturedLog log;
    auto doc = cast("services:\n  web:\n    tty: \"yes\"\n    privileged: \"off\"\n");
    CHECK(doc.tree["services"]["web"]["tty"] == true);
    CHECK(doc.tree["services"]["web"]["privileged"] == false);
    CHECK(log.text() ==
          "compose.yaml:4:17: services.web.privileged: \"off\" for a boolean is not YAML 1.2, "
          "use false\n"
          "compose.yaml:3:10: services.web.tty: \"yes\" for a boolean is not YAML 1.2, use true\n");
}

TEST_CASE("cast: extension fields are left alone", "[schema]") {
    auto doc = cast("x-ports: {target: \"80\"}\nservices:\n  web:\n    x-tty: \"true\"\n");
    CHECK(doc.tree["x-ports"]["target"] == "80");
    CHECK(doc.tree["services"]["web"]["x-tty"] == "true");
}
