#include "compose/merge.hpp"

#include <catch2/catch.hpp>

#include "compose/yaml_parse.hpp"

// Scenarios of the compose-go merge tests and compose-spec 13-merge.md, written in the
// canonical long syntax the merge receives.

namespace {
using compose::Document;
using compose::Tree;

Document doc(const std::string& text, const std::string& file) {
    auto docs = compose::parse_yaml(text, file, "/p");
    REQUIRE(docs.size() == 1);
    return docs.front();
}

Document merged(const std::string& base, const std::string& override) {
    return compose::merge_documents({doc(base, "base.yaml"), doc(override, "override.yaml")});
}

// Flow-style test input continues on indented lines; top-level keys must start at column 0.
std::string dedent(const std::string& text) {
    std::vector<std::string> lines;
    size_t start = 0;
    for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
        lines.push_back(text.substr(start, nl - start));
    lines.push_back(text.substr(start));
    size_t indent = std::string::npos;
    for (size_t i = 1; i < lines.size(); ++i)
        if (lines[i].find_first_not_of(' ') != std::string::npos)
            indent = std::min(indent, lines[i].find_first_not_of(' '));
    std::string out = lines[0];
    for (size_t i = 1; i < lines.size(); ++i)
        out += "\n" + (lines[i].size() >= indent ? lines[i].substr(indent) : lines[i]);
    return out;
}

// Mapping key order is irrelevant (docker compose prints sorted keys); sequence order is not.
std::string canonical(const Tree& t) { return nlohmann::json::parse(t.dump()).dump(); }
std::string canonical(const std::string& yaml) { return canonical(doc(dedent(yaml), "x.yaml").tree); }

#define CHECK_MODEL(base, override, expected)                                     \
    CHECK(canonical(merged(dedent(base), dedent(override)).tree) == canonical(std::string(expected)))
}  // namespace

TEST_CASE("merge: mappings merge, scalars are replaced", "[compose][merge]") {
    CHECK_MODEL("services: {test: {image: foo, scale: 1, hostname: a}}",
                "services: {test: {image: bar, scale: 2}, other: {image: o}}",
                "services: {test: {image: bar, scale: 2, hostname: a}, other: {image: o}}");
    SECTION("a scalar may replace a scalar of another type") {
        CHECK_MODEL("services: {test: {mem_limit: 256m}}", "services: {test: {mem_limit: 1}}",
                    "services: {test: {mem_limit: 1}}");
    }
}

TEST_CASE("merge: command, entrypoint and healthcheck.test are replaced", "[compose][merge]") {
    CHECK_MODEL(R"(services: {foo: {command: [echo, foo], entrypoint: [a, b],
                  healthcheck: {test: [CMD, a], interval: 1s}}})",
                R"(services: {foo: {command: [echo, bar], entrypoint: [c],
                  healthcheck: {test: [CMD-SHELL, b]}}})",
                R"(services: {foo: {command: [echo, bar], entrypoint: [c],
                  healthcheck: {test: [CMD-SHELL, b], interval: 1s}}})");
}

TEST_CASE("merge: unique sequences are appended without duplicates", "[compose][merge]") {
    CHECK_MODEL(R"(services: {test: {dns: [8.8.8.8, 10.10.10.10, 9.9.9.9], dns_search: [dc1],
                  cap_add: [CAP_BPF, CAP_CHOWN], cap_drop: [NET_ADMIN],
                  profiles: [profile1, profile2], tmpfs: [/foo], links: [service1, service2]}})",
                R"(services: {test: {dns: 9.9.9.9, dns_search: [dc2], cap_add: [CAP_KILL, CAP_CHOWN],
                  cap_drop: [NET_ADMIN, CAP_FOWNER], profiles: [profile2, profile3],
                  tmpfs: [/bar, /foo], links: [service2=alias1]}})",
                R"(services: {test: {dns: [8.8.8.8, 10.10.10.10, 9.9.9.9], dns_search: [dc1, dc2],
                  cap_add: [CAP_BPF, CAP_CHOWN, CAP_KILL], cap_drop: [NET_ADMIN, CAP_FOWNER],
                  profiles: [profile1, profile2, profile3], tmpfs: [/foo, /bar],
                  links: [service1, service2=alias1]}})");
}

TEST_CASE("merge: sequences are appended, unique ones without repeats", "[compose][merge]") {
    CHECK_MODEL("services: {test: {group_add: [a]}}\nx-list: [1]",
                "services: {test: {group_add: [a, b]}}\nx-list: [2]",
                "services: {test: {group_add: [a, b]}}\nx-list: [1, 2]");
    SECTION("items sharing a KEY= prefix are distinct unless the key says otherwise") {
        CHECK_MODEL(R"(services: {test: {security_opt: [label=level:s0, label=type:svirt_t],
                      build: {cache_from: ["type=registry,ref=a"]}}})",
                    R"(services: {test: {security_opt: [label=type:svirt_t, label=user:u],
                      build: {cache_from: ["type=registry,ref=b"]}}})",
                    R"(services: {test: {security_opt: [label=level:s0, label=type:svirt_t,
                      label=user:u], build: {cache_from: ["type=registry,ref=a",
                      "type=registry,ref=b"]}}})");
    }
}

TEST_CASE("merge: environment and labels merge by key, null unsets", "[compose][merge]") {
    CHECK_MODEL(R"(services: {test: {environment: {FOO: BAR, NUM: 1}, labels: {a: "1"}}})",
                R"(services: {test: {environment: {EMPTY: "", NIL: null, QIX: ZOT, NUM: 3},
                  labels: [b=2, a=3]}})",
                R"(services: {test: {environment: {FOO: BAR, NUM: 3, EMPTY: "", NIL: null, QIX: ZOT},
                  labels: {a: "3", b: "2"}}})");
    SECTION("a null value overrides a set one") {
        CHECK_MODEL("services: {test: {environment: {A: x}}}",
                    "services: {test: {environment: {A: null}}}",
                    "services: {test: {environment: {A: null}}}");
    }
    SECTION("build, deploy, network and volume labels, build args and sysctls too") {
        CHECK_MODEL(R"(services: {test: {build: {context: ., args: {FOO: BAR},
                      additional_contexts: {app: "docker-image://my-app:latest"}, labels: {a: b}},
                      deploy: {labels: {d: "1"}}, sysctls: {net.a: 1}}}
                      networks: {n: {labels: {x: "1"}}}
                      volumes: {v: {labels: [y=1]}})",
                    R"(services: {test: {build: {args: [QIX=ZOT],
                      additional_contexts: {app: "docker-image://new-app:latest"}},
                      deploy: {labels: [e=2]}, sysctls: [net.b=300]}}
                      networks: {n: {labels: {x: "2"}}}
                      volumes: {v: {labels: {z: "2"}}})",
                    R"(services: {test: {build: {context: ., args: {FOO: BAR, QIX: ZOT},
                      additional_contexts: {app: "docker-image://new-app:latest"}, labels: {a: b}},
                      deploy: {labels: {d: "1", e: "2"}}, sysctls: {net.a: 1, net.b: "300"}}}
                      networks: {n: {labels: {x: "2"}}}
                      volumes: {v: {labels: {y: "1", z: "2"}}})");
    }
}

TEST_CASE("merge: volumes and devices merge by target", "[compose][merge]") {
    CHECK_MODEL(R"(services: {foo: {volumes: [
                    {type: volume, source: foo, target: /work, volume: {nocopy: true}},
                    {type: bind, source: ./b, target: /b}],
                  devices: [{source: /dev/sda, target: /dev/sda}, {source: /dev/sdd, target: /dev/sdd}]}})",
                R"(services: {foo: {volumes: [{type: volume, source: bar, target: /work},
                    {type: volume, source: c, target: /c}],
                  devices: [{source: /dev/nvme0n1p1, target: /dev/sda}]}})",
                R"(services: {foo: {volumes: [{type: volume, source: bar, target: /work},
                    {type: bind, source: ./b, target: /b}, {type: volume, source: c, target: /c}],
                  devices: [{source: /dev/nvme0n1p1, target: /dev/sda},
                    {source: /dev/sdd, target: /dev/sdd}]}})");
    SECTION("the same volume in both files is kept once") {
        CHECK_MODEL("services: {t: {volumes: [{type: bind, source: ./src, target: /src}]}}",
                    "services: {t: {volumes: [{type: bind, source: ./src, target: /src}]}}",
                    "services: {t: {volumes: [{type: bind, source: ./src, target: /src}]}}");
    }
}

TEST_CASE("merge: ports merge by host ip, published port, target and protocol",
          "[compose][merge]") {
    CHECK_MODEL(R"(services: {app: {ports: [
                    {target: 80, published: "8080", protocol: tcp, mode: ingress},
                    {target: 81, published: "8081", protocol: tcp}]}})",
                R"(services: {app: {ports: [
                    {target: 80, published: "8080", protocol: tcp, mode: host},
                    {target: 80, published: "8080", protocol: udp},
                    {target: 80, host_ip: 127.0.0.2, published: "8080", protocol: tcp}]}})",
                R"(services: {app: {ports: [
                    {target: 80, published: "8080", protocol: tcp, mode: host},
                    {target: 81, published: "8081", protocol: tcp},
                    {target: 80, published: "8080", protocol: udp},
                    {target: 80, host_ip: 127.0.0.2, published: "8080", protocol: tcp}]}})");
}

TEST_CASE("merge: secrets and configs merge by target, defaulted from the source",
          "[compose][merge]") {
    CHECK_MODEL(R"(services: {test: {secrets: [{source: foo}, {source: bar}, {source: zot}],
                  configs: [{source: c}, {source: d, target: /etc/d}]}})",
                R"(services: {test: {secrets: [{source: zot, target: /run/secrets/foo}],
                  configs: [{source: c2, target: /c}, {source: d, target: /etc/d, mode: 0440}]}})",
                R"(services: {test: {secrets: [{source: zot, target: /run/secrets/foo},
                  {source: bar}, {source: zot}],
                  configs: [{source: c2, target: /c}, {source: d, target: /etc/d, mode: 0440}]}})");
}

TEST_CASE("merge: env_file entries merge by path", "[compose][merge]") {
    CHECK_MODEL(R"(services: {test: {env_file: [{path: bar.env, required: true},
                  {path: foo.env, required: true}]}})",
                R"(services: {test: {env_file: [{path: foo.env, required: false},
                  {path: baz.env, required: true}]}})",
                R"(services: {test: {env_file: [{path: bar.env, required: true},
                  {path: foo.env, required: false}, {path: baz.env, required: true}]}})");
}

TEST_CASE("merge: depends_on merges per dependency", "[compose][merge]") {
    CHECK_MODEL(R"(services: {test: {depends_on: {foo: {condition: service_healthy},
                  bar: {condition: service_started, required: true}}}})",
                R"(services: {test: {depends_on: {foo: {required: false}, baz: {condition: service_started}}}})",
                R"(services: {test: {depends_on: {foo: {condition: service_healthy, required: false},
                  bar: {condition: service_started, required: true}, baz: {condition: service_started}}}})");
    SECTION("a short list left by an earlier stage is expanded first") {
        CHECK_MODEL("services: {test: {depends_on: [foo]}}",
                    "services: {test: {depends_on: {foo: {condition: service_healthy, required: false}}}}",
                    "services: {test: {depends_on: {foo: {condition: service_healthy, required: false}}}}");
    }
}

TEST_CASE("merge: service networks and models merge by name", "[compose][merge]") {
    CHECK_MODEL(R"(services: {test: {networks: {front: null, n1: {aliases: [alias1, alias2],
                  link_local_ips: [57.123.22.11]}}, models: [llm]}})",
                R"(services: {test: {networks: {front: null, n1: {aliases: [alias3, alias1],
                  link_local_ips: [57.123.22.12]}, n2: {aliases: [a]}},
                  models: {vision: {endpoint_var: URL}}}})",
                R"(services: {test: {networks: {front: null, n1: {aliases: [alias1, alias2, alias3],
                  link_local_ips: [57.123.22.11, 57.123.22.12]}, n2: {aliases: [a]}},
                  models: {llm: null, vision: {endpoint_var: URL}}}})");
    SECTION("a network listed again without options keeps its options") {
        CHECK_MODEL("services: {t: {networks: {n: {aliases: [a]}}}}",
                    "services: {t: {networks: {n: null}}}",
                    "services: {t: {networks: {n: {aliases: [a]}}}}");
    }
}

TEST_CASE("merge: build mappings merge, a short build is expanded", "[compose][merge]") {
    CHECK_MODEL("services: {test: {build: .}}",
                "services: {test: {build: {context: src, dockerfile: D}}}",
                "services: {test: {build: {context: src, dockerfile: D}}}");
}

TEST_CASE("merge: logging options merge only for the same driver", "[compose][merge]") {
    SECTION("distinct drivers: the override replaces") {
        CHECK_MODEL("services: {t: {logging: {driver: local, options: {max-size: 10m}}}}",
                    "services: {t: {logging: {driver: syslog, options: {addr: tcp}}}}",
                    "services: {t: {logging: {driver: syslog, options: {addr: tcp}}}}");
    }
    SECTION("same or implicit driver: merged") {
        CHECK_MODEL("services: {t: {logging: {driver: syslog, options: {a: x, b: y}}}}",
                    "services: {t: {logging: {options: {a: z, c: 3}}}}",
                    "services: {t: {logging: {driver: syslog, options: {a: z, b: y, c: 3}}}}");
    }
}

TEST_CASE("merge: each ulimit is replaced whole", "[compose][merge]") {
    CHECK_MODEL(R"(services: {test: {ulimits: {nofile: {soft: 20000, hard: 40000}, nproc: 65535,
                  locks: {soft: 1, hard: 2}, core: 0}}})",
                R"(services: {test: {ulimits: {nofile: {soft: 10000}, nproc: {soft: 65535},
                  locks: {hard: 65535}}}})",
                R"(services: {test: {ulimits: {nofile: {soft: 10000}, nproc: {soft: 65535},
                  locks: {hard: 65535}, core: 0}}})");
}

TEST_CASE("merge: extra hosts keep every address once", "[compose][merge]") {
    CHECK_MODEL(R"(services: {t: {extra_hosts: {example.com: 1.2.3.4}}})",
                R"(services: {t: {extra_hosts: {localhost: 127.0.0.1, example.com: [1.2.3.4, 4.3.2.1]}}})",
                R"(services: {t: {extra_hosts: {example.com: [1.2.3.4, 4.3.2.1], localhost: 127.0.0.1}}})");
    SECTION("lists") {
        CHECK_MODEL("services: {t: {extra_hosts: [a=1]}}", "services: {t: {extra_hosts: [b=2, a=1]}}",
                    "services: {t: {extra_hosts: [a=1, b=2]}}");
    }
}

TEST_CASE("merge: top-level resources merge deeply, IPAM pools by subnet", "[compose][merge]") {
    CHECK_MODEL(R"(networks: {n1: {ipam: {config: [{subnet: 172.28.0.0/16, ip_range: 172.28.5.0/24,
                    aux_addresses: {host1: a, host2: b, host3: c}}], options: {foo: bar}}}}
                  models: {llm: {model: ai/smollm2, runtime_flags: [--gpu, --batch-size=32]}}
                  x-common: {a: 1, b: {c: 2}})",
                R"(networks: {n1: {ipam: {config: [{subnet: 172.28.0.0/16, ip_range: 172.28.5.1/24,
                    aux_addresses: {host2: B, host4: d}}, {subnet: 172.28.10.0/16}],
                    options: {bar: foo}}}, n2: null}
                  models: {llm: {runtime_flags: [--fp16]}, emb: {model: ai/all-minilm}}
                  x-common: {b: {d: 3}})",
                R"(networks: {n1: {ipam: {config: [{subnet: 172.28.0.0/16, ip_range: 172.28.5.1/24,
                    aux_addresses: {host1: a, host2: B, host3: c, host4: d}},
                    {subnet: 172.28.10.0/16}], options: {foo: bar, bar: foo}}}, n2: null}
                  models: {llm: {model: ai/smollm2, runtime_flags: [--fp16]},
                    emb: {model: ai/all-minilm}}
                  x-common: {a: 1, b: {c: 2, d: 3}})");
}

TEST_CASE("merge: the last non-empty name wins", "[compose][merge]") {
    CHECK_MODEL("name: first", "name: second", "name: second");
    CHECK_MODEL("name: first", "name: ''", "name: first");
}

TEST_CASE("merge: !reset removes the base value and itself", "[compose][merge]") {
    CHECK_MODEL(R"(services: {foo: {build: {context: ., dockerfile: foo.Dockerfile},
                  environment: {FOO: BAR, KEEP: x}, ports: [{target: 80, published: "8080"}]}}
                  networks: {test: {name: test, external: true}})",
                R"(services: {foo: {image: foo, build: !reset null, environment: {FOO: !reset null},
                  ports: !reset []}}
                  networks: {test: !reset {}})",
                R"(services: {foo: {environment: {KEEP: x}, image: foo}}
                  networks: {})");
    SECTION("a !reset key of a new value does not appear either") {
        CHECK_MODEL("services: {}", "services: {new: {image: a, command: !reset [x]}}",
                    "services: {new: {image: a}}");
    }
    SECTION("in the first file") {
        auto out = compose::merge_documents({doc("services: {a: {image: x, ports: !reset []}}", "a.yaml")});
        CHECK(canonical(out.tree) == canonical(std::string("services: {a: {image: x}}")));
    }
}

TEST_CASE("merge: !override replaces wholesale", "[compose][merge]") {
    CHECK_MODEL(R"(services: {app: {image: myapp, ports: [{target: 80, published: "8080"}]}}
                  networks: {other: {name: other, external: true}})",
                R"(services: {app: {ports: !override [{target: 443, published: "8443"}]}}
                  networks: {other: !override {}})",
                R"(services: {app: {image: myapp, ports: [{target: 443, published: "8443"}]}}
                  networks: {other: {}})");
}

TEST_CASE("merge: values of unexpected shapes are replaced", "[compose][merge]") {
    CHECK_MODEL("services: {a: {ports: [{target: 80}], environment: {A: b}, volumes: [{target: /x}]}}",
                "services: {a: {ports: {weird: 1}, environment: 12, volumes: [5, {no: target}]}}",
                "services: {a: {ports: {weird: 1}, environment: 12, volumes: [{target: /x}, 5, {no: target}]}}");
    CHECK_MODEL("services: [a]", "services: {a: {image: x}}", "services: {a: {image: x}}");
    CHECK_MODEL("services: {a: {image: x}}", "services: null", "services: {a: {image: x}}");
}

TEST_CASE("merge: duplicates inside one file collapse, last value first position",
          "[compose][merge]") {
    auto out = compose::merge_documents({doc(R"(services: {test: {
        volumes: [{type: bind, source: ., target: /foo}, {type: volume, source: foo, target: /bar},
                  {type: volume, source: src, target: /foo}],
        ports: [{target: 80, published: "9080"}, {target: 81, published: "9081"},
                {target: 80, published: "9080"}]}})", "compose.yaml")});
    CHECK(canonical(out.tree) == canonical(std::string(R"(services: {test: {
        volumes: [{type: volume, source: src, target: /foo}, {type: volume, source: foo, target: /bar}],
        ports: [{target: 80, published: "9080"}, {target: 81, published: "9081"}]}})")));
}

TEST_CASE("merge: documents merge in order", "[compose][merge]") {
    auto docs = compose::parse_yaml(
        "name: load-multi-docs\nservices:\n  test:\n    image: nginx:latest\n---\n"
        "services:\n  test:\n    image: nginx:override\n",
        "compose.yaml", "/p");
    auto out = compose::merge_documents(docs);
    CHECK(out.tree["services"]["test"]["image"] == "nginx:override");
    CHECK(out.tree["name"] == "load-multi-docs");
    CHECK(out.file == "compose.yaml");
}

TEST_CASE("merge: locations follow the winning file", "[compose][merge]") {
    auto out = merged(R"(services:
  web:
    image: a
    hostname: h
    ports:
      - {target: 80, published: "80"}
      - {target: 81, published: "81"}
)",
                      R"(services:
  web:
    image: b
    ports:
      - {target: 81, published: "81", protocol: udp}
      - {target: 82, published: "82"}
)");
    const auto& at = out.locations;
    CHECK(at.find("services.web.image").to_string() == "override.yaml:3:12");
    CHECK(at.find("services.web.hostname").to_string() == "base.yaml:4:15");
    CHECK(at.find("services.web.ports[1].target").to_string() == "base.yaml:7:18");
    CHECK(at.find("services.web.ports[2].protocol").to_string() == "override.yaml:5:49");
    CHECK(at.find("services.web.ports[3].target").to_string() == "override.yaml:6:18");
}
