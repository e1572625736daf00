#include "compose/normalize.hpp"

#include <catch2/catch.hpp>

#include "compose/canonicalize.hpp"
#include "compose/yaml_parse.hpp"

using compose::Tree;

namespace {

compose::Environment kShell = {{"BAR", "bar"}, {"ZOT", "zot"}, {"FOO", "BAR"}, {"QUX", "q"}};

compose::NormalizeContext context() {
    compose::NormalizeContext ctx;
    ctx.project_name = "myProject";
    ctx.project_directory = "/p";
    ctx.home = "/home/u";
    ctx.lookup = compose::lookup_in(kShell);
    ctx.resolve_paths = false;
    return ctx;
}

nlohmann::json plain(const Tree& tree) { return nlohmann::json::parse(tree.dump()); }

nlohmann::json yaml(const std::string& text) {
    return plain(compose::parse_yaml(text, "expected.yaml", "/p").front().tree);
}

nlohmann::json normalized(const std::string& text,
                          const compose::NormalizeContext& ctx = context()) {
    auto doc = compose::parse_yaml(text, "compose.yaml", "/p").front();
    compose::canonicalize(doc);
    compose::normalize(doc, ctx);
    return plain(doc.tree);
}

}  // namespace

TEST_CASE("normalize: implicit default network, named after the project", "[compose][normalize]") {
    CHECK(normalized("services:\n  test:\n    image: test\n") == yaml(R"(
name: myProject
services:
  test:
    image: test
    networks:
      default: null
networks:
  default:
    name: myProject_default
)"));
}

TEST_CASE("normalize: custom networks only, no default network", "[compose][normalize]") {
    CHECK(normalized("services:\n  test:\n    image: t\n    networks: [my_network]\n"
                     "  host:\n    image: t\n    network_mode: host\n"
                     "networks:\n  my_network:\n") == yaml(R"(
name: myProject
services:
  test: {image: t, networks: {my_network: null}}
  host: {image: t, network_mode: host}
networks:
  my_network: {name: myProject_my_network}
)"));
}

TEST_CASE("normalize: build defaults; context made absolute when resolving paths",
          "[compose][normalize]") {
    auto text = "services:\n  test:\n    build: {}\n  other:\n    build:\n"
                "      context: nginx-build\n      dockerfile_inline: FROM x\n";
    CHECK(normalized(text)["services"]["test"]["build"] ==
          yaml("{context: ., dockerfile: Dockerfile}"));
    auto ctx = context();
    ctx.resolve_paths = true;
    auto model = normalized(text, ctx);
    CHECK(model["services"]["test"]["build"] == yaml("{context: /p, dockerfile: Dockerfile}"));
    CHECK(model["services"]["other"]["build"] ==
          yaml("{context: /p/nginx-build, dockerfile_inline: FROM x}"));
}

TEST_CASE("normalize: resource names, external resources keep their key",
          "[compose][normalize]") {
    auto ctx = context();
    ctx.all_resources = true;
    auto model = normalized(R"(services:
  foo:
    build:
      context: ./testdata
      args:
        FOO: null
        ZOT2: null
networks:
  myExternalnet: {external: true}
  myNamedNet: {name: CustomName}
  mynet: {}
volumes:
  myExternalVol: {external: true}
  myvol:
  myNamedVol: {name: CustomName}
)", ctx);
    CHECK(model["services"]["foo"]["build"] ==
          yaml("{context: ./testdata, dockerfile: Dockerfile, args: {FOO: BAR}}"));
    CHECK(model["networks"] == yaml(R"(
default: {name: myProject_default}
myExternalnet: {name: myExternalnet, external: true}
myNamedNet: {name: CustomName}
mynet: {name: myProject_mynet}
)"));
    CHECK(model["volumes"] == yaml(R"(
myExternalVol: {name: myExternalVol, external: true}
myvol: {name: myProject_myvol}
myNamedVol: {name: CustomName}
)"));
}

TEST_CASE("normalize: unused resources are dropped unless all_resources",
          "[compose][normalize]") {
    auto model = normalized(R"(services:
  web:
    image: nginx
    volumes: [data:/data, /anon]
    secrets: [s1]
    build: {context: ., secrets: [s2]}
networks: {unused: {}}
volumes: {data: {}, other: {}}
secrets: {s1: {file: ./a}, s2: {file: ./b}, s3: {file: ./c}}
configs: {c1: {file: ./c}}
)");
    CHECK(model["volumes"] == yaml("{data: {name: myProject_data}}"));
    CHECK(model["secrets"] ==
          yaml("{s1: {file: ./a, name: myProject_s1}, s2: {file: ./b, name: myProject_s2}}"));
    CHECK(model["networks"] == yaml("{default: {name: myProject_default}}"));
    CHECK_FALSE(model.contains("configs"));
}

TEST_CASE("normalize: implicit dependencies never override explicit ones",
          "[compose][normalize]") {
    auto model = normalized(R"(services:
  test:
    image: t
    ipc: service:foo
    cgroup: service:bar
    uts: service:baz
    pid: service:qux
    volumes_from: [quux, "container:xxx", "zot:ro"]
    links: [corge, "grault:alias"]
    depends_on:
      foo: {condition: service_healthy}
)");
    CHECK(model["services"]["test"]["depends_on"] == yaml(R"(
foo: {condition: service_healthy, required: true}
bar: {condition: service_started, required: true, restart: true}
baz: {condition: service_started, required: true, restart: true}
qux: {condition: service_started, required: true, restart: true}
quux: {condition: service_started, required: true}
zot: {condition: service_started, required: true}
corge: {condition: service_started, required: true, restart: true}
grault: {condition: service_started, required: true, restart: true}
)"));
}

TEST_CASE("normalize: network_mode service:x adds a restarting dependency",
          "[compose][normalize]") {
    auto model = normalized(R"(services:
  foo:
    image: t
    depends_on:
      bar: {condition: service_healthy, required: true, restart: true}
    network_mode: service:zot
  bar: {image: t, volumes_from: [zot, "container:xxx"]}
  zot: {image: t}
)");
    CHECK(model["services"]["foo"]["depends_on"] == yaml(R"(
bar: {condition: service_healthy, required: true, restart: true}
zot: {condition: service_started, required: true, restart: true})"));
    CHECK(model["services"]["bar"]["depends_on"] ==
          yaml("{zot: {condition: service_started, required: true}}"));
    CHECK_FALSE(model["services"]["foo"].contains("networks"));
}

TEST_CASE("normalize: bare environment keys take the project environment",
          "[compose][normalize]") {
    auto model = normalized("services:\n  test:\n    image: t\n    environment:\n"
                            "      - FOO\n      - BAR\n      - ZOT=QIX\n      - UNSET\n"
                            "      - EMPTY=\n");
    CHECK(model["services"]["test"]["environment"] ==
          yaml("{FOO: BAR, BAR: bar, ZOT: QIX, UNSET: null, EMPTY: ''}"));
}

TEST_CASE("normalize: env_file contents merge under environment and env_file is dropped",
          "[compose][normalize]") {
    auto ctx = context();
    std::vector<std::string> calls;
    ctx.read_env_file = [&](const std::string& path, bool required, bool raw) {
        calls.push_back(path + (required ? " required" : " optional") + (raw ? " raw" : ""));
        if (path == "./one.env") return compose::Environment{{"A", "1"}, {"B", "1"}, {"C", "1"}};
        return compose::Environment{{"B", "2"}, {"QUX", "from-file"}};
    };
    auto model = normalized(R"(services:
  test:
    image: t
    env_file: [./one.env, {path: ./two.env, required: false, format: raw}]
    environment: {C: explicit, QUX: null}
)", ctx);
    CHECK(calls == std::vector<std::string>{"./one.env required", "./two.env optional raw"});
    CHECK(model["services"]["test"]["environment"] ==
          yaml("{A: '1', B: '2', C: explicit, QUX: q}"));
    CHECK_FALSE(model["services"]["test"].contains("env_file"));
}

TEST_CASE("normalize: an unreadable env_file is reported at its entry", "[compose][normalize]") {
    auto ctx = context();
    ctx.read_env_file = [](const std::string& path, bool, bool) -> compose::Environment {
        throw std::runtime_error("open " + path + ": no such file or directory");
    };
    try {
        normalized("services:\n  test:\n    image: t\n    env_file:\n      - ./missing.env\n",
                   ctx);
        FAIL("expected an error");
    } catch (const schema::LoadError& e) {
        CHECK(std::string(e.what()) == "compose.yaml:5:9: services.test.env_file[0]: open "
                                       "./missing.env: no such file or directory");
    }
}

TEST_CASE("normalize: --no-env-resolution keeps env_file and bare keys",
          "[compose][normalize]") {
    auto ctx = context();
    ctx.resolve_environment = false;
    auto model = normalized("services:\n  t:\n    image: t\n    env_file: a.env\n"
                            "    environment: [FOO]\n", ctx);
    CHECK(model["services"]["t"]["env_file"] == yaml("[{path: a.env}]"));
    CHECK(model["services"]["t"]["environment"] == yaml("{FOO: null}"));
}

TEST_CASE("normalize: relative paths resolve against the project directory",
          "[compose][normalize]") {
    auto ctx = context();
    ctx.resolve_paths = true;
    ctx.resolve_environment = false;
    ctx.all_resources = true;
    auto model = normalized(R"(services:
  web:
    image: t
    volumes: [".:/code", "./static:/www", "~/configs:/etc/configs:ro", "data:/data"]
    env_file: ./a.env
    label_file: [./l.label]
    build:
      context: ../ctx
      additional_contexts: {foo: ./bar, img: "docker-image://alpine"}
volumes:
  data: {driver_opts: {type: none, o: bind, device: ./host}}
secrets:
  s: {file: ./secret}
configs:
  c: {file: ~/config}
)", ctx);
    auto web = model["services"]["web"];
    CHECK(web["volumes"][0]["source"] == "/p");
    CHECK(web["volumes"][1]["source"] == "/p/static");
    CHECK(web["volumes"][2]["source"] == "/home/u/configs");
    CHECK(web["volumes"][3]["source"] == "data");
    CHECK(web["env_file"] == yaml("[{path: /p/a.env}]"));
    CHECK(web["label_file"] == yaml("[/p/l.label]"));
    CHECK(web["build"]["context"] == "/ctx");
    CHECK(web["build"]["additional_contexts"] == yaml("{foo: /p/bar, img: docker-image://alpine}"));
    CHECK(model["volumes"]["data"]["driver_opts"]["device"] == "/p/host");
    CHECK(model["secrets"]["s"]["file"] == "/p/secret");
    CHECK(model["configs"]["c"]["file"] == "/home/u/config");
}

TEST_CASE("normalize: pull_policy alias and pre_start image inheritance",
          "[compose][normalize]") {
    auto model = normalized(R"(services:
  app:
    image: alpine
    pull_policy: if_not_present
    pre_start:
      - command: ["migrate"]
      - image: busybox
        command: ["chown", "-R", "1000:1000", "/data"]
  builder:
    build: {context: .}
    pre_start:
      - command: init
)");
    CHECK(model["services"]["app"]["pull_policy"] == "missing");
    CHECK(model["services"]["app"]["pre_start"] == yaml(R"(
- {command: [migrate], image: alpine}
- {image: busybox, command: [chown, -R, "1000:1000", /data]})"));
    CHECK(model["services"]["builder"]["pre_start"] == yaml("[{command: [init]}]"));
}
