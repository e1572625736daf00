#include "compose/extends.hpp"

#include <map>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "compose/merge.hpp"
#include "compose/paths.hpp"
#include "compose/yaml_parse.hpp"

// Scenarios of compose-go loader/extends_test.go, override_test.go and compose-spec
// 05-services.md, in canonical long syntax. The project lives in /p.

namespace {
using compose::Document;
using compose::Tree;
using Files = std::map<std::string, std::string>;  // absolute path -> content

// Reads `files` like the loader would: relative to the declaring document, named relative
// to the project directory.
compose::ExtendsLoader loader_for(const Files& files) {
    return [&files](const std::string& file, const Document& from) {
        auto path = compose::absolute_path(file, from.directory, "/home/u");
        auto it = files.find(path);
        if (it == files.end()) throw std::runtime_error("no such file or directory");
        auto dir = path.substr(0, path.rfind('/'));
        return compose::parse_yaml(it->second, path.substr(3), dir).front();
    };
}

Document extended(const std::string& text, const Files& files = {}) {
    auto doc = compose::parse_yaml(text, "compose.yaml", "/p").front();
    compose::apply_extends(doc, loader_for(files));
    return doc;
}

std::string error_of(const std::string& text, const Files& files = {}) {
    try {
        extended(text, files);
    } catch (const schema::LoadError& e) {
        return e.what();
    }
    return "";
}

std::string json(const Tree& t) { return nlohmann::json::parse(t.dump()).dump(); }
std::string json(const char* yaml) {
    return json(compose::parse_yaml(yaml, "x.yaml", "/").front().tree);
}

const Files kBaseFiles = {
    {"/p/testdata/extends/base.yaml", R"(services:
  base:
    image: base
  another:
    extends: base
  with-port:
    ports: [{target: 8000, published: "8000", protocol: tcp}]
  withUlimits:
    image: test
    ulimits: {nproc: 65535, nofile: {soft: 20000, hard: 40000}}
  with-build:
    extends: {file: sibling.yaml, service: test}
  nil:
)"},
    {"/p/testdata/extends/sibling.yaml", "services:\n  test:\n    build: {context: .}\n"},
};
}  // namespace

TEST_CASE("extends: the local service is merged onto the one it extends", "[compose][extends]") {
    auto doc = extended(R"(services:
  common:
    image: busybox
    environment: {TZ: utc, PORT: "80"}
    volumes: [{type: volume, source: common-volume, target: /var/lib/backup/data}]
  cli:
    extends: {service: common}
    environment: {PORT: "8080"}
    volumes: [{type: volume, source: cli-volume, target: /var/lib/backup/data, read_only: true}]
)");
    const auto& cli = doc.tree["services"]["cli"];
    CHECK(json(cli) == json(R"(image: busybox
environment: {TZ: utc, PORT: "8080"}
volumes: [{type: volume, source: cli-volume, target: /var/lib/backup/data, read_only: true}])"));
    CHECK_FALSE(doc.tree["services"]["common"].contains("extends"));
    CHECK(doc.locations.find("services.cli.image").to_string() == "compose.yaml:3:12");
    CHECK(doc.locations.find("services.cli.environment.PORT").to_string() == "compose.yaml:8:25");
}

TEST_CASE("extends: services of another file, chains and the string form", "[compose][extends]") {
    auto doc = extended(R"(services:
  test1:
    extends: {file: testdata/extends/base.yaml, service: base}
    hostname: test1
  test3:
    extends: {file: testdata/extends/base.yaml, service: another}
    hostname: test3
  ports:
    image: test
    extends: {file: testdata/extends/base.yaml, service: with-port}
  limits:
    extends: {file: testdata/extends/base.yaml, service: withUlimits}
  empty:
    extends: {file: testdata/extends/base.yaml, service: nil}
    image: e
)",
                        kBaseFiles);
    const auto& s = doc.tree["services"];
    CHECK(json(s["test1"]) == json("{image: base, hostname: test1}"));
    CHECK(json(s["test3"]) == json("{image: base, hostname: test3}"));
    CHECK(json(s["ports"]) ==
          json(R"({image: test, ports: [{target: 8000, published: "8000", protocol: tcp}]})"));
    CHECK(json(s["limits"]["ulimits"]) == json("{nproc: 65535, nofile: {soft: 20000, hard: 40000}}"));
    CHECK(json(s["empty"]) == json("{image: e}"));
    CHECK(doc.locations.find("services.test3.image").to_string() ==
          "testdata/extends/base.yaml:3:12");
}

TEST_CASE("extends: relative paths stay relative to the file declaring them", "[compose][extends]") {
    auto doc = extended(R"(services:
  test:
    extends: {file: testdata/extends/base.yaml, service: with-build}
    env_file: [{path: local.env, required: true}]
)",
                        kBaseFiles);
    CHECK(doc.tree["services"]["test"]["build"]["context"] == "/p/testdata/extends");
    CHECK(doc.tree["services"]["test"]["env_file"][0]["path"] == "local.env");
}

TEST_CASE("extends: !override and !reset act inside a chain", "[compose][extends]") {
    const Files files = {
        {"/p/base.yaml", R"(services:
  base:
    volumes: [{type: bind, source: /foo, target: /foo}]
    networks: {foo: null}
    dns: [1.1.1.1]
)"},
        {"/p/override.yaml", R"(services:
  override:
    extends: {file: ./base.yaml, service: base}
    volumes: !override [{type: bind, source: /bar, target: /bar}]
    networks: !override {bar: null}
    dns: !reset []
)"}};
    auto doc = extended(R"(services:
  test:
    image: test
    extends: {file: ./override.yaml, service: override}
    volumes: [{type: bind, source: /zot, target: /zot}]
    networks: !override {zot: null}
)",
                        files);
    CHECK(json(doc.tree["services"]["test"]) == json(R"(image: test
volumes: [{type: bind, source: /bar, target: /bar}, {type: bind, source: /zot, target: /zot}]
networks: {zot: null})"));
}

TEST_CASE("extends: depends_on merges along the chain unless overridden", "[compose][extends]") {
    auto doc = extended(R"(services:
  depend_base: {image: nginx}
  depend_one: {image: nginx}
  depend_two:
    extends: {service: depend_one}
  main_one:
    image: nginx
    depends_on: {depend_one: {condition: service_started, required: true}}
  main_two:
    extends: main_one
    depends_on: !override {depend_two: {condition: service_started, required: true}}
  main:
    extends: {service: main_two}
    depends_on: {depend_base: {condition: service_started, required: true}}
)");
    CHECK(json(doc.tree["services"]["main"]["depends_on"]) == json(R"(
depend_two: {condition: service_started, required: true}
depend_base: {condition: service_started, required: true})"));
    CHECK(doc.tree["services"]["depend_two"]["image"] == "nginx");
}

TEST_CASE("extends: cycles are rejected with the chain", "[compose][extends]") {
    CHECK(error_of(R"(services:
  a:
    extends: b
  b:
    extends: {service: a}
  c:
    extends: c
)") == "compose.yaml:2:3: services.a: circular reference in extends: a -> b -> a\n"
          "compose.yaml:6:3: services.c: circular reference in extends: c -> c");
    SECTION("across files") {
        const std::string root = "services:\n  a:\n    extends: {file: other.yaml, service: o}\n";
        const Files files = {
            {"/p/compose.yaml", root},
            {"/p/other.yaml", "services:\n  o:\n    extends: {file: compose.yaml, service: a}\n"}};
        auto message = error_of(root, files);
        CHECK(message == "compose.yaml:2:3: services.a: circular reference in extends: "
                         "a -> other.yaml:o -> a");
    }
}

TEST_CASE("extends: a missing service or file is located at the extends key",
          "[compose][extends]") {
    CHECK(error_of(R"(services:
  a:
    extends: nope
  b:
    extends: {file: testdata/extends/base.yaml, service: nope}
  c:
    extends: {file: missing.yaml, service: x}
  d:
    extends: [x]
)",
                   kBaseFiles) ==
          "compose.yaml:3:14: services.a.extends: cannot extend service \"a\": service "
          "\"nope\" not found\n"
          "compose.yaml:5:58: services.b.extends.service: cannot extend service \"b\": service "
          "\"nope\" not found in \"testdata/extends/base.yaml\"\n"
          "compose.yaml:7:21: services.c.extends.file: cannot load \"missing.yaml\": no such "
          "file or directory\n"
          "compose.yaml:9:5: services.d.extends: extends must be a service name or a mapping "
          "with a \"service\" name");
}

TEST_CASE("extends: errors inside the other file keep their own location", "[compose][extends]") {
    const Files files = {{"/p/other.yaml", "services:\n  o:\n    extends: gone\n"}};
    CHECK(error_of("services:\n  a:\n    extends: {file: other.yaml, service: o}\n", files) ==
          "other.yaml:3:14: services.o.extends: cannot extend service \"o\": service \"gone\" "
          "not found");
}
