#include "compose/loader.hpp"

#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.hpp"

// Whole-loader scenarios that span several files (compose-go loader/include_test.go and
// override_test.go): what an included project sees (its variables, its project directory) and
// what the including project does not; merge tags in files reached through extends.

namespace fs = std::filesystem;

namespace {


compose::Project load_in(const TempDir& t, const std::string& file) {
    compose::LoadOptions o;
    o.files = {(t.root / file).string()};
    o.working_directory = t.root.string();
    o.project_name = "project";
    return compose::load(o);
}

}  // namespace

TEST_CASE("include: env_file variables are visible only inside the included project",
          "[compose][include]") {
    TempDir t("berth-loader");
    t.write("compose.yml", R"(include:
  - path: [./module/compose.yml]
    env_file: [./custom.env]
services:
  a: {image: alpine, environment: [VAR_NAME]}
)");
    t.write("module/compose.yml", R"(services:
  b: {image: alpine, environment: [VAR_NAME, "OTHER=${VAR_NAME}"]}
)");
    t.write("custom.env", "VAR_NAME=value\n");
    auto p = load_in(t, "compose.yml");
    CHECK(p.model["services"]["a"]["environment"]["VAR_NAME"].is_null());
    CHECK(p.model["services"]["b"]["environment"]["VAR_NAME"] == "value");
    CHECK(p.model["services"]["b"]["environment"]["OTHER"] == "value");
}

TEST_CASE("include: the including project's .env wins over the include's env_file",
          "[compose][include]") {
    TempDir t("berth-loader");
    t.write("compose.yml", "include: [{path: module/compose.yml, env_file: inc.env}]\n");
    t.write(".env", "TAG=outer\n");
    t.write("inc.env", "TAG=inner\nONLY=inner\n");
    t.write("module/compose.yml", "services:\n  b: {image: 'alpine:${TAG}-${ONLY}'}\n");
    CHECK(load_in(t, "compose.yml").model["services"]["b"]["image"] == "alpine:outer-inner");
}

TEST_CASE("include: extends.file is relative to the include's project_directory",
          "[compose][include]") {
    TempDir t("berth-loader");
    t.write("compose.yml", "include:\n  - {project_directory: ., path: dir/included.yaml}\n");
    t.write("dir/included.yaml", R"(services:
  included:
    extends: {file: dir/extended.yaml, service: extended}
)");
    t.write("dir/extended.yaml", "services:\n  extended: {image: alpine}\n");
    CHECK(load_in(t, "compose.yml").model["services"]["included"]["image"] == "alpine");
}

TEST_CASE("extends: !override in an extended file replaces what that file extends",
          "[compose][extends]") {
    TempDir t("berth-loader");
    t.write("compose.yaml", R"(services:
  test:
    image: test
    extends: {file: ./override.yaml, service: override}
    volumes: [/zot:/zot]
)");
    t.write("override.yaml", R"(services:
  override:
    extends: {file: ./base.yaml, service: base}
    volumes: !override [/bar:/bar]
)");
    t.write("base.yaml", "services:\n  base:\n    volumes: [/foo:/foo]\n");
    auto project = load_in(t, "compose.yaml");
    const auto& volumes = project.model["services"]["test"]["volumes"];
    REQUIRE(volumes.size() == 2);
    CHECK(volumes[0]["source"] == "/bar");
    CHECK(volumes[1]["source"] == "/zot");
}

TEST_CASE("loader: diagnostics of merged -f files name the file that wrote the value",
          "[compose][merge]") {
    TempDir t("berth-loader");
    t.write("a.yaml", "services:\n  web:\n    imgae: nginx\n    tty: true\n");
    t.write("b.yaml", "services:\n  web:\n    tty: maybe\n    frob: 1\n  db:\n    image: [1]\n");
    compose::LoadOptions o;
    o.files = {(t.root / "a.yaml").string(), (t.root / "b.yaml").string()};
    o.working_directory = t.root.string();
    o.project_name = "project";
    std::string error;
    try {
        compose::load(o);
    } catch (const schema::LoadError& e) {
        error = e.what();
    }
    CHECK(error == "a.yaml:3:5: services.web: unknown key \"imgae\" (did you mean \"image\"?)\n"
                   "b.yaml:3:10: services.web.tty: must be a boolean, got \"maybe\"\n"
                   "b.yaml:4:5: services.web: unknown key \"frob\"\n"
                   "b.yaml:6:5: services.db.image: must be a string, got a list");
}
