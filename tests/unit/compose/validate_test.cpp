#include "compose/validate.hpp"

#include <sstream>

#include <catch2/catch.hpp>

#include "tests/support/captured_log.hpp"
#include "tests/support/sample_models.hpp"
#include <spdlog/sinks/ostream_sink.h>

#include "compose/cast.hpp"
#include "compose/log.hpp"
#include "compose/yaml_parse.hpp"

namespace {
compose::Document load(const std::string& text) {
    auto docs = compose::parse_yaml(text, "compose.yaml", "/p");
    REQUIRE(docs.size() == 1);
    compose::cast_types(docs.front());
    return docs.front();
}

std::string error_of(const std::string& text) {
    auto doc = load(text);
    try {
        compose::validate(doc);
    } catch (const schema::LoadError& e) {
        return e.what();
    }
    return "";
}

// Locations in messages are those yaml_parse records: the value for scalars, the key for
// mappings and lists.

// Every short form the schema allows, as a user would write it.
const char* kShortSyntax = R"(
name: demo
services:
  web:
    build: ./web
    command: npm start
    environment: [DEBUG=1, HOME]
    env_file: .env
    labels: [a=b]
    ports: ["8080:80", 9000, "127.0.0.1:53:53/udp"]
    volumes: ["./data:/data:ro", "cache:/cache", /anon]
    depends_on: [db]
    networks: [front]
    secrets: [token]
    configs: [conf]
    dns: 8.8.8.8
    tmpfs: /run
    extends: base
    healthcheck: {test: curl -f localhost, interval: 10s, retries: "${RETRIES}"}
    ulimits: {nproc: 65535, nofile: {soft: 1024, hard: 2048}}
    extra_hosts: ["host.docker.internal:host-gateway"]
    gpus: all
    restart: "no"
  base:
    image: busybox
  db:
    image: postgres
    deploy: {replicas: "${REPLICAS}"}
networks:
  front:
volumes:
  cache:
secrets:
  token: {file: ./token.txt}
configs:
  conf: {external: true}
)";

}  // namespace

TEST_CASE("validate: short and long syntax both pass", "[schema]") {
    CapturedLog quiet;  // gpus warns
    CHECK(error_of(kShortSyntax) == "");
    CHECK(error_of(kLongSyntaxModel) == "");
}

TEST_CASE("validate: unknown keys get a did-you-mean over their siblings", "[schema]") {
    CHECK(error_of("services:\n  web:\n    image: nginx\n    imgae: nginx\n") ==
          "compose.yaml:4:5: services.web: unknown key \"imgae\" (did you mean \"image\"?)");
    CHECK(error_of("servics: {}\n") ==
          "compose.yaml:1:1: unknown key \"servics\" (did you mean \"services\"?)");
    CHECK(error_of("services:\n  web:\n    image: nginx\n    frobnicate: 1\n") ==
          "compose.yaml:4:5: services.web: unknown key \"frobnicate\"");
}

TEST_CASE("validate: x- extensions where upstream allows them", "[schema]") {
    SECTION("top level, services, networks and nested mappings skip x- keys") {
        CHECK(error_of(R"(
x-common: &c {anything: [1, 2]}
services:
  web:
    image: nginx
    x-note: {free: form}
    deploy: {x-team: a, resources: {limits: {x-why: b}}}
networks:
  front: {x-owner: me}
)") == "");
    }
    SECTION("under mappings of names, x-foo is a name like any other") {
        CHECK(error_of("services:\n  x-web:\n    image: nginx\n") == "");
        CHECK(error_of("services:\n  web: {image: nginx}\nnetworks:\n  x-net: {bogus: 1}\n") ==
              "compose.yaml:4:11: networks.x-net: unknown key \"bogus\"");
    }
    SECTION("not where upstream forbids them") {
        CHECK(error_of("services:\n  web:\n    image: nginx\n    extends: {service: b, x-a: 1}\n"
                       "  b: {image: nginx}\n") ==
              "compose.yaml:4:27: services.web.extends: unknown key \"x-a\"");
    }
}

TEST_CASE("validate: wrong types name what was expected", "[schema]") {
    CHECK(error_of("services:\n  web:\n    image: [nginx]\n") ==
          "compose.yaml:3:5: services.web.image: must be a string, got a list");
    CHECK(error_of("services:\n  web:\n    image: nginx\n    tty: [1]\n") ==
          "compose.yaml:4:5: services.web.tty: must be a boolean or a string, got a list");
    CHECK(error_of("services:\n  web:\n    image: nginx\n    ports: [{target: {a: 1}}]\n") ==
          "compose.yaml:4:14: services.web.ports[0].target: must be an integer or a string, "
          "got a mapping");
    CHECK(error_of("services:\n  web:\n    image: nginx\n    scale: 1.5\n") ==
          "compose.yaml:4:12: services.web.scale: must be an integer or a string, got a number");
    CHECK(error_of("services: []\n") == "compose.yaml:1:1: services: must be a mapping, got a list");
    SECTION("a top-level resource entry is named in the message") {
        CHECK(error_of("services:\n  foo: bar\n") ==
              "compose.yaml:2:8: services.foo: service \"foo\" must be a mapping, got a string");
        CHECK(error_of("services:\n  web: {image: x}\nvolumes:\n  data: [a]\n") ==
              "compose.yaml:4:3: volumes.data: volume \"data\" must be a mapping or null, got "
              "a list");
    }
}

TEST_CASE("validate: strings a cast could not convert are reported", "[schema]") {
    CHECK(error_of("services:\n  web:\n    image: nginx\n    ports: [{target: http}]\n") ==
          "compose.yaml:4:22: services.web.ports[0].target: must be an integer, got \"http\"");
    CHECK(error_of("services:\n  web:\n    image: nginx\n    tty: maybe\n") ==
          "compose.yaml:4:10: services.web.tty: must be a boolean, got \"maybe\"");
    SECTION("uninterpolated values pass, as upstream lets them") {
        CHECK(error_of("services:\n  web:\n    image: nginx\n    scale: ${N}\n") == "");
    }
}

TEST_CASE("validate: enum values, patterns and bounds", "[schema]") {
    CHECK(error_of("services:\n  web:\n    image: nginx\n    volumes: [{type: bnd, target: /a}]\n") ==
          "compose.yaml:4:22: services.web.volumes[0].type: must be one of \"bind\", \"volume\", "
          "\"tmpfs\", \"cluster\", \"npipe\", \"image\", got \"bnd\"");
    CHECK(error_of("services:\n  web:\n    image: nginx\n    pull_policy: sometimes\n") ==
          "compose.yaml:4:18: services.web.pull_policy: must match \"always|never|build|"
          "if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+\", got \"sometimes\"");
    CHECK(error_of("services:\n  web:\n    image: nginx\n    oom_score_adj: 2000\n") ==
          "compose.yaml:4:20: services.web.oom_score_adj: must be between -1000 and 1000, got 2000");
    CapturedLog quiet;  // gpus warns even when wrong
    CHECK(error_of("services:\n  web:\n    image: nginx\n    gpus: some\n") ==
          "compose.yaml:4:11: services.web.gpus: must be one of \"all\", got \"some\"");
}

TEST_CASE("validate: user-chosen names must match upstream's pattern", "[schema]") {
    CHECK(error_of("services:\n  web app:\n    image: nginx\n") ==
          "compose.yaml:2:3: services.web app: invalid name \"web app\", must match "
          "\"^[a-zA-Z0-9._-]+$\"");
    CHECK(error_of("services:\n  web:\n    image: nginx\n    ulimits: {NOFILE: 1}\n") ==
          "compose.yaml:4:15: services.web.ulimits.NOFILE: invalid name \"NOFILE\", must match "
          "\"^[a-z]+$\"");
}

TEST_CASE("validate: required keys and one-of rules", "[schema]") {
    CHECK(error_of("services:\n  web:\n    image: nginx\n    depends_on: {db: {required: true}}\n"
                   "  db: {image: postgres}\n") ==
          "compose.yaml:4:18: services.web.depends_on.db: missing required key \"condition\"");
    CHECK(error_of("services:\n  web: {image: nginx}\nsecrets:\n  token: {name: t}\n") ==
          "compose.yaml:4:3: secrets.token: secret \"token\" must declare either `file` or "
          "`environment` (or be external)");
    CHECK(error_of("services:\n  web: {image: nginx}\nconfigs:\n  c: {name: t}\n") ==
          "compose.yaml:4:3: configs.c: config \"c\" must declare either `file`, `content` or "
          "`environment` (or be external)");
    // A service without image or build is a consistency error (config --no-consistency
    // accepts it), not a schema one.
    CHECK(error_of("services:\n  web: {restart: always}\n").empty());
    SECTION("ulimits need both bounds in the mapping form only") {
        CHECK(error_of("services:\n  web:\n    image: nginx\n    ulimits: {nofile: {soft: 1}}\n") ==
              "compose.yaml:4:15: services.web.ulimits.nofile: missing required key \"hard\"");
    }
}

TEST_CASE("validate: repeated items in unique lists", "[schema]") {
    CHECK(error_of("services:\n  web:\n    image: nginx\n    cap_add: [NET_ADMIN, SYS_TIME, "
                   "NET_ADMIN]\n") ==
          "compose.yaml:4:36: services.web.cap_add[2]: duplicate of item [0]");
}

TEST_CASE("validate: every problem is reported, sorted by place", "[schema]") {
    CHECK(error_of(R"(
services:
  web:
    imgae: nginx
    ports: [{target: http}]
    tty: [1]
  db:
    image: postgres
    restart: [always]
)") == "compose.yaml:4:5: services.web: unknown key \"imgae\" (did you mean \"image\"?)\n"
       "compose.yaml:5:22: services.web.ports[0].target: must be an integer, got \"http\"\n"
       "compose.yaml:6:5: services.web.tty: must be a boolean or a string, got a list\n"
       "compose.yaml:9:5: services.db.restart: must be a string, got a list");
}

TEST_CASE("validate: obsolete version and accepted-only keys warn once", "[schema]") {
    CapturedLog log;
    CHECK(error_of(R"(version: "3.8"
services:
  web:
    image: nginx
    deploy: {placement: {constraints: [node.role==manager]}}
  db:
    image: postgres
    deploy: {placement: {constraints: [node.role==worker]}}
)") == "");
    CHECK(log.text() ==
          "compose.yaml:1:10: version: the attribute `version` is obsolete, it will be ignored\n"
          "compose.yaml:8:14: services.db.deploy.placement: deploy.placement is swarm-only; "
          "berth ignores it\n");
}
