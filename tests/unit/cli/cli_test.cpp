// End-to-end tests of the berth binary: flags, outputs and exit codes as a user sees them.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {

struct Run {
    int status = -1;
    std::string out;  ///< stdout
    std::string err;  ///< stderr
};

// A project directory of its own, removed when the test ends (even on failure).
struct Project : TempDir {
    Project() : TempDir("berth-cli") {}
    const fs::path& dir = root;

    // Runs `berth ARGS` in the project directory with a clean environment plus `env`.
    Run berth(const std::string& args, const std::string& env = "",
              const std::string& stdin_text = "") const {
        fs::path err = dir / ".stderr";
        std::string cmd = "cd '" + dir.string() + "' && env -i HOME=/home/user PATH=/usr/bin:/bin " +
                          env + " '" + BERTH_BINARY + "' " + args + " 2>'" + err.string() + "'";
        if (!stdin_text.empty()) {
            std::ofstream(dir / ".stdin") << stdin_text;
            cmd += " <'" + (dir / ".stdin").string() + "'";
        }
        Run r;
        FILE* pipe = popen(cmd.c_str(), "r");
        REQUIRE(pipe);
        std::array<char, 4096> buf{};
        for (size_t n; (n = fread(buf.data(), 1, buf.size(), pipe)) > 0;) r.out.append(buf.data(), n);
        int status = pclose(pipe);
        r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        r.err = read(".stderr");
        return r;
    }
};

const char* kStack = R"(name: demo
services:
  web:
    image: "nginx:${TAG:-1.25}"
    ports: ["8080:80"]
    volumes: [./site:/srv, data:/data]
  db:
    image: postgres
    profiles: [full]
  tool:
    build: ./tool
volumes:
  data:
networks:
  back:
)";

}  // namespace

TEST_CASE("cli: version and help", "[cli]") {
    Project p;
    auto v = p.berth("version");
    CHECK(v.status == 0);
    CHECK(v.out.rfind("berth version ", 0) == 0);
    CHECK(p.berth("--version").out == v.out);
    auto help = p.berth("--help");
    CHECK(help.status == 0);
    CHECK(help.out.find("compose") != std::string::npos);
    CHECK(p.berth("no-such-command").status != 0);
}

TEST_CASE("cli: config prints YAML and JSON of the same model", "[cli]") {
    Project p;
    p.write("compose.yaml", kStack);
    auto yaml = p.berth("compose --profile full config");
    REQUIRE(yaml.status == 0);
    CHECK(yaml.out.rfind("name: demo\nservices:\n", 0) == 0);
    auto json = p.berth("compose --profile full config --format json");
    REQUIRE(json.status == 0);
    auto model = nlohmann::json::parse(json.out);
    CHECK(model["services"]["web"]["image"] == "nginx:1.25");
    CHECK(model["services"]["web"]["ports"][0]["published"] == "8080");
    CHECK(model["services"]["web"]["volumes"][0]["source"] == (p.dir / "site").string());
    CHECK(model["networks"]["default"]["name"] == "demo_default");
}

TEST_CASE("cli: config listing flags", "[cli]") {
    Project p;
    p.write("compose.yaml", kStack);
    CHECK(p.berth("compose config --services").out == "tool\nweb\n");
    CHECK(p.berth("compose --profile full config --services").out == "db\ntool\nweb\n");
    CHECK(p.berth("compose config --volumes").out == "data\n");
    CHECK(p.berth("compose config --profiles").out == "full\n");
    CHECK(p.berth("compose config --images").out == "demo-tool\nnginx:1.25\n");
    CHECK(p.berth("compose config --networks", "COMPOSE_PROFILES=full").out == "default\n");
    CHECK(p.berth("compose --all-resources config --networks").out == "back\ndefault\n");
}

TEST_CASE("cli: config --hash, --environment and --variables", "[cli]") {
    Project p;
    p.write("compose.yaml", kStack);
    auto all = p.berth("compose config --hash '*'");
    REQUIRE(all.status == 0);
    auto web = p.berth("compose config --hash web");
    CHECK(web.out.rfind("web ", 0) == 0);
    CHECK(web.out.size() == 4 + 64 + 1);
    CHECK(all.out.find(web.out) != std::string::npos);
    CHECK(p.berth("compose config --hash web", "TAG=2").out != web.out);
    CHECK(p.berth("compose config --hash nope").status != 0);
    CHECK(p.berth("compose config --environment", "TAG=2").out.find("TAG=2\n") !=
          std::string::npos);
    auto vars = p.berth("compose config --variables");
    CHECK(vars.out.rfind("NAME", 0) == 0);
    CHECK(vars.out.find("TAG") != std::string::npos);
    CHECK(vars.out.find("1.25") != std::string::npos);
}

TEST_CASE("cli: -q validates only; errors go to stderr with file:line:col", "[cli]") {
    Project p;
    p.write("compose.yaml", kStack);
    auto ok = p.berth("compose config -q");
    CHECK(ok.status == 0);
    CHECK(ok.out.empty());
    p.write("bad.yaml", "services:\n  web:\n    imgae: nginx\n");
    auto bad = p.berth("compose -f bad.yaml config -q");
    CHECK(bad.status == 1);
    CHECK(bad.out.empty());
    CHECK(bad.err == "bad.yaml:3:5: services.web: unknown key \"imgae\" (did you mean \"image\"?)\n");
    CHECK(p.berth("compose -p 'Bad Name' config").err.find("invalid project name") !=
          std::string::npos);
}

TEST_CASE("cli: -o writes the output to a file", "[cli]") {
    Project p;
    p.write("compose.yaml", kStack);
    auto r = p.berth("compose config -o out.yaml");
    CHECK(r.status == 0);
    CHECK(r.out.empty());
    CHECK(p.read("out.yaml") == p.berth("compose config").out);
}

TEST_CASE("cli: -f - reads standard input", "[cli]") {
    Project p;
    auto r = p.berth("compose -p piped -f - config --services", "", "services: {a: {image: x}}\n");
    CHECK(r.status == 0);
    CHECK(r.out == "a\n");
}

TEST_CASE("cli: the --no-* flags keep what they name as written", "[cli]") {
    Project p;
    p.write("compose.yaml", kStack);
    auto raw = p.berth("compose config --no-interpolate");
    CHECK(raw.out.find("nginx:$${TAG:-1.25}") != std::string::npos);
    auto rel = p.berth("compose config --no-path-resolution --format json");
    auto model = nlohmann::json::parse(rel.out);
    CHECK(model["services"]["web"]["volumes"][0]["source"] == "./site");
    auto plain = nlohmann::json::parse(p.berth("compose config --no-normalize --format json").out);
    CHECK_FALSE(plain["services"]["web"].contains("networks"));
    p.write("dangling.yaml", "services:\n  a:\n    image: x\n    depends_on: [ghost]\n");
    CHECK(p.berth("compose -f dangling.yaml config").status != 0);
    CHECK(p.berth("compose -f dangling.yaml config --no-consistency").status == 0);
}

TEST_CASE("cli: COMPOSE_FILE, COMPOSE_PROJECT_NAME and --env-file", "[cli]") {
    Project p;
    p.write("one.yaml", "services:\n  a:\n    image: \"a:${TAG}\"\n");
    p.write("two.yaml", "services:\n  b:\n    image: b\n");
    p.write("vars.env", "TAG=from-env-file\n");
    auto r = p.berth("compose --env-file vars.env config --format json",
                     "COMPOSE_FILE=one.yaml:two.yaml COMPOSE_PROJECT_NAME=fromenv");
    REQUIRE(r.status == 0);
    auto model = nlohmann::json::parse(r.out);
    CHECK(model["name"] == "fromenv");
    CHECK(model["services"]["a"]["image"] == "a:from-env-file");
    CHECK(model["services"].contains("b"));
}
