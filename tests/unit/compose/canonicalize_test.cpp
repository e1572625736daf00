#include "compose/canonical_rules.hpp"
#include "compose/canonicalize.hpp"
#include "schema/keys.hpp"

#include <set>

#include <catch2/catch.hpp>

#include "compose/short_syntax.hpp"
#include "compose/yaml_parse.hpp"

using compose::Tree;

namespace {

compose::Document canon(const std::string& text, bool lenient = false) {
    auto docs = compose::parse_yaml(text, "compose.yaml", "/p");
    REQUIRE(docs.size() == 1);
    compose::canonicalize(docs.front(), {.lenient = lenient});
    return docs.front();
}

// Key order is irrelevant to the model, so trees compare as plain (sorted) JSON.
nlohmann::json plain(const Tree& tree) { return nlohmann::json::parse(tree.dump()); }

nlohmann::json yaml(const std::string& text) {
    return plain(compose::parse_yaml(text, "expected.yaml", "/p").front().tree);
}

nlohmann::json service_key(const std::string& text, const std::string& key) {
    return plain(canon(text).tree["services"]["web"][key]);
}

std::string error_of(const std::string& text) {
    try {
        canon(text);
    } catch (const schema::LoadError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("canonicalize: short port syntax expands to one long item per port",
          "[compose][canonicalize]") {
    auto ports = service_key(R"(services:
  web:
    ports:
      - "80-82:8080-8082"
      - "90-92:8090-8092/udp"
      - "85:8500"
      - 8600
      - protocol: udp
        target: 53
        published: 10053
      - mode: host
        target: 22
        published: 10022
)", "ports");
    CHECK(ports == yaml(R"(
- {mode: ingress, target: 8080, published: '80', protocol: tcp}
- {mode: ingress, target: 8081, published: '81', protocol: tcp}
- {mode: ingress, target: 8082, published: '82', protocol: tcp}
- {mode: ingress, target: 8090, published: '90', protocol: udp}
- {mode: ingress, target: 8091, published: '91', protocol: udp}
- {mode: ingress, target: 8092, published: '92', protocol: udp}
- {mode: ingress, target: 8500, published: '85', protocol: tcp}
- {mode: ingress, target: 8600, protocol: tcp}
- {mode: ingress, target: 53, published: '10053', protocol: udp}
- {mode: host, target: 22, published: '10022', protocol: tcp}
)"));
}

TEST_CASE("canonicalize: port host IPs, IPv6 brackets, host ranges", "[compose][canonicalize]") {
    auto ports = service_key(R"(services:
  web:
    ports:
      - "127.0.0.1:8001:8001"
      - "[::1]:6001:6001"
      - "127.0.0.1::80"
      - "8000-8010:80"
      - "3001-3002"
      - "98-100:98-100"
)", "ports");
    CHECK(ports == yaml(R"(
- {mode: ingress, host_ip: 127.0.0.1, target: 8001, published: '8001', protocol: tcp}
- {mode: ingress, host_ip: '::1', target: 6001, published: '6001', protocol: tcp}
- {mode: ingress, host_ip: 127.0.0.1, target: 80, protocol: tcp}
- {mode: ingress, target: 80, published: 8000-8010, protocol: tcp}
- {mode: ingress, target: 3001, protocol: tcp}
- {mode: ingress, target: 3002, protocol: tcp}
- {mode: ingress, target: 100, published: '100', protocol: tcp}
- {mode: ingress, target: 98, published: '98', protocol: tcp}
- {mode: ingress, target: 99, published: '99', protocol: tcp}
)"));
}

TEST_CASE("canonicalize: long port syntax gets string published and defaults",
          "[compose][canonicalize]") {
    auto ports = service_key("services:\n  web:\n    ports:\n      - target: 80\n"
                             "        published: 8080\n      - name: http\n        target: 81\n"
                             "        app_protocol: http\n", "ports");
    CHECK(ports == yaml(R"(
- {mode: ingress, target: 80, published: '8080', protocol: tcp}
- {name: http, mode: ingress, target: 81, protocol: tcp, app_protocol: http}
)"));
}

TEST_CASE("canonicalize: malformed ports are all reported with file:line:col",
          "[compose][canonicalize]") {
    CHECK(error_of(R"(services:
  web:
    ports:
      - "80800:80"
      - "8080:80/xyz"
      - "1.2.3:80:80"
      - "8000-8010:80-85"
      - "x:80"
)") == "compose.yaml:4:9: services.web.ports[0]: invalid port \"80800:80\": published port "
        "is out of range 1-65535\n"
        "compose.yaml:5:9: services.web.ports[1]: invalid port \"8080:80/xyz\": invalid "
        "protocol \"xyz\"\n"
        "compose.yaml:6:9: services.web.ports[2]: invalid port \"1.2.3:80:80\": invalid IP "
        "address \"1.2.3\"\n"
        "compose.yaml:7:9: services.web.ports[3]: invalid port \"8000-8010:80-85\": published "
        "range 8000-8010 and container range 80-85 differ in size\n"
        "compose.yaml:8:9: services.web.ports[4]: invalid port \"x:80\": published port \"x\" "
        "is not a number");
}

TEST_CASE("canonicalize: lenient mode keeps un-interpolated ports as written",
          "[compose][canonicalize]") {
    auto doc = canon("services:\n  web:\n    ports:\n      - ${PORT:-8080}:80\n", true);
    CHECK(doc.tree["services"]["web"]["ports"][0] == "${PORT:-8080}:80");
}

TEST_CASE("canonicalize: a port range keeps the location of the item it came from",
          "[compose][canonicalize]") {
    auto doc = canon("services:\n  web:\n    ports:\n      - 70-71:70-71\n      - 90:90\n");
    CHECK(doc.locations.find("services.web.ports[1]").to_string() == "compose.yaml:4:9");
    CHECK(doc.locations.find("services.web.ports[2]").to_string() == "compose.yaml:5:9");
}

TEST_CASE("canonicalize: short volume syntax", "[compose][canonicalize]") {
    auto volumes = service_key(R"(services:
  web:
    volumes:
      - ./static:/usr/share/nginx/html:ro
      - data:/var/lib/data
      - /var/run/docker.sock:/var/run/docker.sock
      - /anonymous/
      - ~/configs:/etc/configs:rw,z
      - cache:/cache:nocopy
      - type: volume
        source: foo
        target: /target
        read_only: true
      - type: tmpfs
        target: /t
        tmpfs:
          size: 1kb
)", "volumes");
    CHECK(volumes == yaml(R"(
- {type: bind, source: ./static, target: /usr/share/nginx/html, read_only: true,
   bind: {create_host_path: true}}
- {type: volume, source: data, target: /var/lib/data, volume: {}}
- {type: bind, source: /var/run/docker.sock, target: /var/run/docker.sock,
   bind: {create_host_path: true}}
- {type: volume, target: /anonymous, volume: {}}
- {type: bind, source: ~/configs, target: /etc/configs, bind: {selinux: z, create_host_path: true}}
- {type: volume, source: cache, target: /cache, volume: {nocopy: true}}
- {type: volume, source: foo, target: /target, read_only: true}
- {type: tmpfs, target: /t, tmpfs: {size: '1024'}}
)"));
}

TEST_CASE("canonicalize: malformed mounts", "[compose][canonicalize]") {
    CHECK(error_of("services:\n  web:\n    volumes:\n      - ./a:/b:ro:extra\n"
                   "      - type: bind\n        target: /app\n") ==
          "compose.yaml:4:9: services.web.volumes[0]: invalid spec: ./a:/b:ro:extra: too many "
          "colons\n"
          "compose.yaml:5:9: services.web.volumes[1]: invalid mount config for type \"bind\": "
          "field Source must not be empty");
}

TEST_CASE("canonicalize: environment lists and mappings become string mappings",
          "[compose][canonicalize]") {
    SECTION("list") {
        auto env = service_key("services:\n  web:\n    environment:\n      - FOO=1\n"
                               "      - BU=\n      - ZO\n      - A=b=c\n", "environment");
        CHECK(env == yaml("{FOO: '1', BU: '', ZO: null, A: b=c}"));
    }
    SECTION("mapping") {
        auto env = service_key("services:\n  web:\n    environment:\n      BAR: 2\n"
                               "      GA: 2.5\n      T: true\n      ZO:\n      F: 1.0\n",
                               "environment");
        CHECK(env == yaml("{BAR: '2', GA: '2.5', T: 'true', ZO: null, F: '1'}"));
    }
    SECTION("a key with a trailing space") {
        CHECK(error_of("services:\n  web:\n    environment:\n      - DEBUG = true\n") ==
              "compose.yaml:4:9: services.web.environment[0]: environment variable DEBUG  is "
              "declared with a trailing space");
    }
}

TEST_CASE("canonicalize: labels-like mappings map bare keys to empty strings",
          "[compose][canonicalize]") {
    auto s = plain(canon(R"(services:
  web:
    labels: [a=1, b]
    annotations: {x: 42, y: null}
    sysctls: [net.core.somaxconn=1024]
    deploy: {labels: [FOO=BAR]}
    build: {context: ., labels: [L=1], args: [A, B=2]}
)").tree["services"]["web"]);
    CHECK(s["labels"] == yaml("{a: '1', b: ''}"));
    CHECK(s["annotations"] == yaml("{x: '42', y: ''}"));
    CHECK(s["sysctls"] == yaml("{net.core.somaxconn: '1024'}"));
    CHECK(s["deploy"]["labels"] == yaml("{FOO: BAR}"));
    CHECK(s["build"]["labels"] == yaml("{L: '1'}"));
    CHECK(s["build"]["args"] == yaml("{A: null, B: '2'}"));
}

TEST_CASE("canonicalize: extra_hosts print as a sorted host=ip list", "[compose][canonicalize]") {
    CHECK(service_key("services:\n  web:\n    extra_hosts:\n      - somehost:162.242.195.82\n"
                      "      - otherhost=50.31.209.229\n      - v6=[::1]\n", "extra_hosts") ==
          yaml("[otherhost=50.31.209.229, somehost=162.242.195.82, v6=::1]"));
    CHECK(service_key("services:\n  web:\n    extra_hosts:\n      b: 10.0.0.1\n"
                      "      a: [10.0.0.2, 10.0.0.3]\n", "extra_hosts") ==
          yaml("[a=10.0.0.2, a=10.0.0.3, b=10.0.0.1]"));
    CHECK(error_of("services:\n  web:\n    extra_hosts:\n      - nohost\n") ==
          "compose.yaml:4:9: services.web.extra_hosts[0]: invalid additional host, missing IP: "
          "\"nohost\"");
}

TEST_CASE("canonicalize: depends_on, networks, models, env_file, build, extends long forms",
          "[compose][canonicalize]") {
    auto s = plain(canon(R"(services:
  web:
    depends_on: [db, redis]
    networks: [front, back]
    models: [llm]
    env_file: .env
    build: ./dir
    extends: base
  other:
    depends_on:
      db: {condition: service_healthy, restart: true}
    env_file:
      - a.env
      - {path: b.env, required: false}
      - {path: c.env, required: true, format: raw}
    build: {dockerfile: Dockerfile.dev, ssh: [default, key=./id]}
)").tree["services"]);
    CHECK(s["web"]["depends_on"] == yaml(R"(
db: {condition: service_started, required: true}
redis: {condition: service_started, required: true})"));
    CHECK(s["web"]["networks"] == yaml("{front: null, back: null}"));
    CHECK(s["web"]["models"] == yaml("{llm: null}"));
    CHECK(s["web"]["env_file"] == yaml("[{path: .env}]"));
    CHECK(s["web"]["build"] == yaml("{context: ./dir}"));
    CHECK(s["web"]["extends"] == yaml("{service: base}"));
    CHECK(s["other"]["depends_on"] ==
          yaml("{db: {condition: service_healthy, restart: true, required: true}}"));
    CHECK(s["other"]["env_file"] ==
          yaml("[{path: a.env}, {path: b.env, required: false}, {path: c.env, format: raw}]"));
    // The default context "." comes with fill_defaults(), after the merge.
    CHECK(s["other"]["build"] == yaml("{dockerfile: Dockerfile.dev, ssh: [default, key=./id]}"));
}

TEST_CASE("canonicalize: list conversions keep locations on the new keys",
          "[compose][canonicalize]") {
    auto doc = canon("services:\n  web:\n    depends_on:\n      - db\n    environment:\n"
                     "      - A=1\n");
    CHECK(doc.locations.find("services.web.depends_on.db").to_string() == "compose.yaml:4:9");
    CHECK(doc.locations.find("services.web.environment.A").to_string() == "compose.yaml:6:9");
}

TEST_CASE("canonicalize: healthcheck, command, durations and byte sizes",
          "[compose][canonicalize]") {
    auto s = plain(canon(R"(services:
  web:
    healthcheck:
      test: echo "hello world"
      interval: 10s
      timeout: 90s
      start_period: 1h
      start_interval: 500ms
    command: bundle exec 'thin server' -p "3000"
    entrypoint: ["/entry.sh", "-x"]
    stop_grace_period: 1m30s
    shm_size: 2gb
    mem_limit: 50M
    cpus: '0.5'
    deploy:
      resources:
        limits: {cpus: '0.001', memory: 50M}
      restart_policy: {delay: 5s, window: 120s}
      update_config: {monitor: 60s}
)").tree["services"]["web"]);
    CHECK(s["healthcheck"] == yaml(R"(
test: [CMD-SHELL, echo "hello world"]
interval: 10s
timeout: 1m30s
start_period: 1h0m0s
start_interval: 500ms)"));
    CHECK(s["command"] == yaml("[bundle, exec, thin server, -p, '3000']"));
    CHECK(s["entrypoint"] == yaml("[/entry.sh, -x]"));
    CHECK(s["stop_grace_period"] == "1m30s");
    CHECK(s["shm_size"] == "2147483648");
    CHECK(s["mem_limit"] == "52428800");
    CHECK(s["cpus"] == 0.5);
    CHECK(s["deploy"] == yaml(R"(
resources: {limits: {cpus: 0.001, memory: '52428800'}}
restart_policy: {delay: 5s, window: 2m0s}
update_config: {monitor: 1m0s})"));
}

TEST_CASE("canonicalize: devices, secrets, configs, dns, tmpfs, gpus", "[compose][canonicalize]") {
    auto s = plain(canon(R"(services:
  web:
    devices: ["/dev/sda:/dev/xvda:rwm", "/dev/fuse", "/dev/a:r", "/dev/b:/dev/c"]
    secrets: [s1, {source: s2, target: /x, mode: 288}]
    configs: [c1]
    dns: 8.8.8.8
    dns_search: example.com
    tmpfs: /run
    gpus: all
)").tree["services"]["web"]);
    CHECK(s["devices"] == yaml(R"(
- {source: /dev/sda, target: /dev/xvda, permissions: rwm}
- {source: /dev/fuse, target: /dev/fuse, permissions: rwm}
- {source: /dev/a, target: /dev/a, permissions: r}
- {source: /dev/b, target: /dev/c, permissions: rwm})"));
    CHECK(s["secrets"] == yaml("[{source: s1}, {source: s2, target: /x, mode: '0440'}]"));
    CHECK(s["configs"] == yaml("[{source: c1}]"));
    CHECK(s["dns"] == yaml("[8.8.8.8]"));
    CHECK(s["dns_search"] == yaml("[example.com]"));
    CHECK(s["tmpfs"] == yaml("[/run]"));
    CHECK(s["gpus"] == yaml("[{count: all}]"));
}

TEST_CASE("canonicalize: GPU device requests are checked", "[compose][canonicalize]") {
    CHECK(error_of(R"(services:
  web:
    deploy:
      resources:
        reservations:
          devices:
            - {capabilities: [gpu], count: 2, device_ids: [a]}
            - {capabilities: [gpu], count: some_string}
)") == "compose.yaml:7:15: services.web.deploy.resources.reservations.devices[0]: \"count\" and "
       "\"device_ids\" attributes are exclusive\n"
       "compose.yaml:8:44: services.web.deploy.resources.reservations.devices[1].count: invalid "
       "value \"some_string\", the only value allowed is 'all' or a number");
}

TEST_CASE("canonicalize: values of an unexpected type are left for the schema",
          "[compose][canonicalize]") {
    auto s = plain(canon("services:\n  web:\n    ports: 80\n    environment: FOO\n"
                         "    depends_on: 3\n    build: 1\n    volumes: [[a]]\n")
                       .tree["services"]["web"]);
    CHECK(s == yaml("{ports: 80, environment: FOO, depends_on: 3, build: 1, volumes: [[a]]}"));
}

TEST_CASE("canonicalize: top-level resources", "[compose][canonicalize]") {
    auto t = plain(canon(R"(networks:
  n1: {external: {name: my-net}}
  n2: {driver_opts: {baz: 1}, labels: [foo=bar]}
  n3:
volumes:
  v1: {external: true}
  v2: {name: same, external: {name: same}}
secrets:
  s1: {external: {name: my_secret}}
)").tree);
    CHECK(t["networks"] == yaml(R"(
n1: {name: my-net, external: true}
n2: {driver_opts: {baz: '1'}, labels: {foo: bar}}
n3: {})"));
    CHECK(t["volumes"] == yaml("{v1: {external: true}, v2: {name: same, external: true}}"));
    CHECK(t["secrets"] == yaml("{s1: {name: my_secret, external: true}}"));
}

TEST_CASE("canonicalize: top-level resource conflicts", "[compose][canonicalize]") {
    CHECK(error_of(R"(networks:
  foo:
    name: user_specified_name
    external:
      name: external_name
volumes:
  external_volume:
    external: true
    driver: foobar
    labels: [beep=boop]
)") == "compose.yaml:2:3: networks.foo: name and external.name conflict; only use name\n"
       "compose.yaml:7:3: volumes.external_volume: conflicting parameters \"external\" and "
       "\"driver\" specified\n"
       "compose.yaml:7:3: volumes.external_volume: conflicting parameters \"external\" and "
       "\"labels\" specified");
}

TEST_CASE("short syntax: Go durations and byte sizes", "[compose][canonicalize]") {
    using compose::format_duration;
    using compose::parse_duration;
    CHECK(format_duration(parse_duration("90s")) == "1m30s");
    CHECK(format_duration(parse_duration("1h")) == "1h0m0s");
    CHECK(format_duration(parse_duration("1.5s")) == "1.5s");
    CHECK(format_duration(parse_duration("1500us")) == "1.5ms");
    CHECK(format_duration(parse_duration("2d")) == "48h0m0s");
    CHECK(format_duration(parse_duration("1h30m0.5s")) == "1h30m0.5s");
    CHECK(format_duration(parse_duration("0")) == "0s");
    CHECK(format_duration(parse_duration("10ns")) == "10ns");
    CHECK(format_duration(-parse_duration("2s")) == "-2s");
    CHECK_THROWS_AS(parse_duration("10"), compose::SyntaxError);
    CHECK_THROWS_AS(parse_duration("5 parsecs"), compose::SyntaxError);
    CHECK(compose::parse_bytes("1kb") == 1024);
    CHECK(compose::parse_bytes("1.5g") == 1610612736);
    CHECK(compose::parse_bytes("20M") == 20971520);
    CHECK(compose::parse_bytes("512") == 512);
    CHECK_THROWS_AS(compose::parse_bytes("12 parsecs"), compose::SyntaxError);
    CHECK(compose::shell_split(R"(a "b c" 'd\e' f\ g "")") ==
          std::vector<std::string>{"a", "b c", "d\\e", "f g", ""});
    CHECK_THROWS_AS(compose::shell_split("a 'b"), compose::SyntaxError);
}

TEST_CASE("canonicalize: the key table and the normalizers name each other", "[compose][canonicalize]") {
    std::set<std::string> named;
    for (const auto& spec : schema::keys())
        if (!spec.normalizer.empty()) named.insert(std::string(spec.normalizer));
    std::set<std::string> registered;
    for (const auto& [id, fn] : compose::canonical::normalizers()) registered.insert(std::string(id));
    CHECK(named == registered);
}
