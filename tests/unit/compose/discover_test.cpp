#include "compose/discover.hpp"

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

namespace fs = std::filesystem;

namespace {


// Enough of a .env reader for discovery tests: KEY=VAL lines, no interpolation.
compose::Environment simple_dotenv(const std::string& path, const compose::Lookup&) {
    compose::Environment env;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
        auto eq = line.find('=');
        if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return env;
}

compose::Discovery discover_in(const fs::path& cwd, compose::LoadOptions o = {}) {
    o.working_directory = cwd.string();
    return compose::discover(o, simple_dotenv);
}

}  // namespace

TEST_CASE("discover: default file found in a parent, with its override", "[compose][discover]") {
    TempDir t("berth-discover");
    t.write("proj/compose.yaml", "services: {}\n");
    t.write("proj/compose.override.yml", "services: {}\n");
    fs::create_directories(t.root / "proj/sub/deeper");
    auto d = discover_in(t.root / "proj/sub/deeper");
    REQUIRE(d.files.size() == 2);
    CHECK(d.files[0] == (t.root / "proj/compose.yaml").string());
    CHECK(d.files[1] == (t.root / "proj/compose.override.yml").string());
    CHECK(d.project_directory == (t.root / "proj").string());
}

TEST_CASE("discover: compose.yaml is preferred over docker-compose.yml", "[compose][discover]") {
    TempDir t("berth-discover");
    t.write("docker-compose.yml", "services: {}\n");
    t.write("compose.yaml", "services: {}\n");
    CHECK(discover_in(t.root).files == std::vector<std::string>{(t.root / "compose.yaml").string()});
}

TEST_CASE("discover: the working directory's .env wins over the project's", "[compose][discover]") {
    TempDir t("berth-discover");
    t.write("nested/compose.yaml", "services: {}\n");
    t.write("nested/.env", "ROOT=root\nWIN=root\n");
    t.write("nested/sub/.env", "SUB=sub\nWIN=sub\n");
    compose::LoadOptions o;
    o.os_environment = {{"SHELL_ONLY", "1"}, {"ROOT", "shell"}};
    auto d = discover_in(t.root / "nested/sub", o);
    CHECK(d.environment.at("WIN") == "sub");
    CHECK(d.environment.at("SUB") == "sub");
    CHECK(d.environment.at("ROOT") == "shell");
    CHECK(d.env_files.size() == 2);
}

TEST_CASE("discover: COMPOSE_FILE from .env names the files", "[compose][discover]") {
    TempDir t("berth-discover");
    t.write("a.yaml", "services: {}\n");
    t.write("dir/b.yaml", "services: {}\n");
    t.write(".env", "COMPOSE_FILE=a.yaml:dir/b.yaml\n");
    auto d = discover_in(t.root);
    REQUIRE(d.files.size() == 2);
    CHECK(d.files[1] == (t.root / "dir/b.yaml").string());
    CHECK(d.project_directory == t.root.string());
}

TEST_CASE("discover: later --env-file wins", "[compose][discover]") {
    TempDir t("berth-discover");
    t.write("compose.yaml", "services: {}\n");
    t.write("one.env", "PORT=1\nA=a\n");
    t.write("two.env", "PORT=2\n");
    compose::LoadOptions o;
    o.env_files = {"one.env", "two.env"};
    auto d = discover_in(t.root, o);
    CHECK(d.environment.at("PORT") == "2");
    CHECK(d.environment.at("A") == "a");
}

TEST_CASE("discover: missing files are errors", "[compose][discover]") {
    TempDir t("berth-discover");
    compose::LoadOptions o;
    o.files = {"nope.yaml"};
    CHECK_THROWS_WITH(discover_in(t.root, o),
                      "open " + (t.root / "nope.yaml").string() + ": no such file or directory");
    CHECK_THROWS_WITH(discover_in(t.root), Catch::Contains("no configuration file provided"));
}

TEST_CASE("project name: normalized from directories, validated when explicit", "[compose]") {
    CHECK(compose::normalize_project_name("UNNORMALIZED PATH") == "unnormalizedpath");
    CHECK(compose::normalize_project_name("__My.App-1") == "myapp-1");
    CHECK(compose::valid_project_name("my_app-1"));
    CHECK_FALSE(compose::valid_project_name("My App"));
    CHECK_FALSE(compose::valid_project_name("-app"));
    CHECK_FALSE(compose::valid_project_name(""));
}
