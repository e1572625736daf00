#include "compose/consistency.hpp"

#include <catch2/catch.hpp>

#include "compose/canonicalize.hpp"
#include "compose/normalize.hpp"
#include "compose/yaml_parse.hpp"

namespace {

// Runs the stages that precede the consistency check, then returns its message ("" = valid).
std::string check(const std::string& text) {
    auto doc = compose::parse_yaml(text, "compose.yaml", "/p").front();
    compose::canonicalize(doc);
    compose::NormalizeContext ctx;
    ctx.project_name = "p";
    ctx.project_directory = "/p";
    compose::normalize(doc, ctx);
    try {
        compose::check_consistency(doc);
    } catch (const schema::LoadError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("consistency: a valid project passes", "[compose][consistency]") {
    CHECK(check(R"(services:
  web:
    image: nginx
    depends_on: [db]
    networks: [front]
    volumes: [data:/data, /tmp/x:/x]
    secrets: [s]
    healthcheck: {test: [CMD, true]}
  db: {build: ., network_mode: "service:web2", scale: 2, deploy: {replicas: 2}}
  web2: {image: x, container_name: only}
networks: {front: {}}
volumes: {data: {}}
secrets: {s: {environment: HOME}}
)") == "");
}

TEST_CASE("consistency: undefined references", "[compose][consistency]") {
    CHECK(check(R"(services:
  myservice:
    image: scratch
    networks: [back]
    volumes: [myVolume:/data]
    secrets: [foo]
    configs: [bar]
    build: {context: ., secrets: [bs]}
    depends_on: [missingservice]
  other:
    image: scratch
    network_mode: service:nonexistentservice
)") == "compose.yaml:4:16: services.myservice.networks.back: service \"myservice\" refers "
       "to undefined network back: invalid compose project\n"
       "compose.yaml:5:15: services.myservice.volumes[0]: service \"myservice\" refers to "
       "undefined volume myVolume: invalid compose project\n"
       "compose.yaml:6:15: services.myservice.secrets[0]: service \"myservice\" refers to "
       "undefined secret foo: invalid compose project\n"
       "compose.yaml:7:15: services.myservice.configs[0]: service \"myservice\" refers to "
       "undefined config bar: invalid compose project\n"
       "compose.yaml:8:35: services.myservice.build.secrets[0]: service \"myservice\" refers "
       "to undefined build secret bs: invalid compose project\n"
       "compose.yaml:9:18: services.myservice.depends_on.missingservice: service "
       "\"myservice\" depends on undefined service \"missingservice\": invalid compose project\n"
       "compose.yaml:12:19: services.other.depends_on.nonexistentservice: service \"other\" "
       "depends on undefined service \"nonexistentservice\": invalid compose project");
}

TEST_CASE("consistency: a namespace reference is checked without normalization",
          "[compose][consistency]") {
    auto doc = compose::parse_yaml("services:\n  a:\n    image: x\n    ipc: service:ghost\n",
                                   "compose.yaml", "/p").front();
    CHECK_THROWS_WITH(compose::check_consistency(doc),
                      "compose.yaml:4:10: services.a.ipc: service \"ghost\" not found for ipc "
                      "'service:ghost'");
}

TEST_CASE("consistency: image, network_mode and container names", "[compose][consistency]") {
    CHECK(check(R"(services:
  myservice:
    command: ["true"]
  redis:
    image: redis
    network_mode: bridge
    networks: {gratheon: null}
  a: {image: scratch, container_name: same}
  b: {image: scratch, container_name: same}
  c: {image: scratch, container_name: fixed, scale: 2}
  d: {image: scratch, container_name: other, deploy: {replicas: 6}}
networks: {gratheon: {}}
)") == "compose.yaml:2:3: services.myservice: service \"myservice\" has neither an image nor "
       "a build context specified: invalid compose project\n"
       "compose.yaml:6:19: services.redis.network_mode: service redis declares mutually "
       "exclusive `network_mode` and `networks`\n"
       "compose.yaml:9:39: services.b.container_name: container name \"same\" is already in "
       "use by service \"a\": invalid compose project\n"
       "compose.yaml:10:39: services.c.container_name: can't set container_name and scale 2 "
       "on service \"c\": container name must be unique\n"
       "compose.yaml:11:39: services.d.container_name: can't set container_name and "
       "deploy.replicas 6 on service \"d\": container name must be unique");
}

TEST_CASE("consistency: scale, replicas and resource limits", "[compose][consistency]") {
    CHECK(check(R"(services:
  neg: {image: x, scale: -1}
  differ: {image: x, scale: 2, deploy: {replicas: 3}}
  mem: {image: x, mem_limit: 1g, deploy: {resources: {limits: {memory: 2g}}}}
  same: {image: x, mem_limit: 1g, cpus: 0.5, deploy: {resources: {limits: {memory: 1024m, cpus: '0.5'}}}}
)") == "compose.yaml:2:26: services.neg.scale: must be greater than or equal to 0\n"
       "compose.yaml:3:29: services.differ.scale: can't set distinct values on 'scale' and "
       "'deploy.replicas': invalid compose project\n"
       "compose.yaml:4:30: services.mem.mem_limit: can't set distinct values on 'mem_limit' "
       "and 'deploy.resources.limits.memory': invalid compose project");
}

TEST_CASE("consistency: mounts, healthcheck and resource sources", "[compose][consistency]") {
    CHECK(check(R"(services:
  myservice:
    image: scratch
    tmpfs:
      - /foo
      - /conflict:size=64m
    volumes:
      - ./:/bar
      - ./:/conflict
      - ./x:/bar/
    healthcheck:
      test: ["curl", "-f", "http://localhost"]
    secrets: [foo]
    configs: [c]
secrets:
  foo:
    name: foo
configs:
  c: {}
)") == "compose.yaml:9:9: services.myservice.volumes[1]: target /conflict already mounted as "
       "services.myservice.tmpfs[1]\n"
       "compose.yaml:10:9: services.myservice.volumes[2]: target /bar already mounted as "
       "services.myservice.volumes[0]\n"
       "compose.yaml:12:7: services.myservice.healthcheck.test: healthcheck.test must start "
       "either by \"CMD\", \"CMD-SHELL\" or \"NONE\"\n"
       "compose.yaml:16:3: secrets.foo: secret \"foo\" must declare either `file` or "
       "`environment`: invalid compose project\n"
       "compose.yaml:19:3: configs.c: config \"c\" must declare either `file`, `content` or "
       "`environment`: invalid compose project");
}

TEST_CASE("consistency: dependency cycles are reported on the first service",
          "[compose][consistency]") {
    CHECK(check(R"(name: depends-on-cycle
services:
  service1: {image: service1, depends_on: [service2]}
  service2: {image: service2, depends_on: [service3]}
  service3: {image: service3, depends_on: [service1]}
)") == "compose.yaml:3:31: services.service1.depends_on: dependency cycle detected: "
       "service1 -> service2 -> service3 -> service1");
    CHECK(check("services:\n  service1:\n    image: s\n    depends_on:\n      - service1\n") ==
          "compose.yaml:4:5: services.service1.depends_on: dependency cycle detected: "
          "service1 -> service1");
}
