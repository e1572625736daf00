#include "compose/include.hpp"

#include <map>
#include <stdexcept>

#include <catch2/catch.hpp>

#include "compose/merge.hpp"
#include "compose/yaml_parse.hpp"

// Scenarios of compose-go loader/include_test.go and loader_test.go (TestLoadWithInclude),
// in canonical long syntax. The project lives in /p.

namespace {
using compose::Document;
using compose::IncludeSpec;
using Files = std::map<std::string, std::string>;  // absolute path -> content

// Loads an included project like the loader: its files merged, its own includes applied.
struct Loader {
    const Files& files;
    std::vector<IncludeSpec> seen;

    Document operator()(const IncludeSpec& spec, const Document&) {
        seen.push_back(spec);
        std::vector<Document> docs;
        for (const auto& path : spec.paths) {
            auto it = files.find(path);
            if (it == files.end()) throw std::runtime_error("no such file or directory");
            auto parsed = compose::parse_yaml(it->second, path.substr(3), spec.project_directory);
            docs.push_back(parsed.front());
        }
        auto project = compose::merge_documents(std::move(docs));
        compose::apply_includes(project, std::ref(*this), spec.chain);
        return project;
    }
};

Document included(const std::string& text, Loader& loader, const std::string& dir = "/p") {
    auto doc = compose::parse_yaml(text, "compose.yaml", dir).front();
    compose::apply_includes(doc, std::ref(loader), {dir + "/compose.yaml"});
    return doc;
}

std::string error_of(const std::string& text, const Files& files) {
    Loader loader{files, {}};
    try {
        included(text, loader);
    } catch (const schema::LoadError& e) {
        return e.what();
    }
    return "";
}

const Files kFiles = {
    {"/p/testdata/subdir/imported.yaml", R"(services:
  imported:
    image: nginx
    env_file: [{path: ./extra.env, required: true}]
    volumes:
      - {type: bind, source: ./data, target: /var/lib/mysql}
      - {type: volume, source: named, target: /n}
volumes:
  named: {}
)"},
};
}  // namespace

TEST_CASE("include: resources of the included project are copied in", "[compose][include]") {
    Loader loader{kFiles, {}};
    auto doc = included(R"(name: test-include
include:
  - ./testdata/subdir/imported.yaml
services:
  foo:
    image: busybox
    depends_on: {imported: {condition: service_started, required: true}}
)",
                        loader);
    const auto& imported = doc.tree["services"]["imported"];
    CHECK(imported["image"] == "nginx");
    CHECK(imported["env_file"][0]["path"] == "/p/testdata/subdir/extra.env");
    CHECK(imported["volumes"][0]["source"] == "/p/testdata/subdir/data");
    CHECK(imported["volumes"][1]["source"] == "named");
    CHECK(doc.tree["volumes"].contains("named"));
    CHECK(doc.tree["services"].contains("foo"));
    CHECK_FALSE(doc.tree.contains("include"));
    CHECK(doc.locations.find("services.imported.image").to_string() ==
          "testdata/subdir/imported.yaml:3:12");
    REQUIRE(loader.seen.size() == 1);
    CHECK(loader.seen[0].project_directory == "/p/testdata/subdir");
    CHECK(loader.seen[0].chain ==
          std::vector<std::string>{"/p/compose.yaml", "/p/testdata/subdir/imported.yaml"});
}

TEST_CASE("include: the long form names the project directory, env files and overrides",
          "[compose][include]") {
    const Files files = {{"/p/include/dir/compose.yaml", R"(services:
  service:
    build: {context: .}
    volumes: [{type: bind, source: imported.yaml, target: /mnt/bind/compose.yaml}]
    env_file: [{path: extra.env, required: true}]
)"},
                         {"/p/include/dir/override.yaml", "services:\n  service:\n    image: x\n"}};
    Loader loader{files, {}};
    auto doc = included(R"(include:
  - project_directory: ../subdir
    path: [./dir/compose.yaml, ./dir/override.yaml]
    env_file: ../custom.env
)",
                        loader, "/p/include");
    const auto& service = doc.tree["services"]["service"];
    CHECK(service["build"]["context"] == "/p/subdir");
    CHECK(service["volumes"][0]["source"] == "/p/subdir/imported.yaml");
    CHECK(service["env_file"][0]["path"] == "/p/subdir/extra.env");
    CHECK(service["image"] == "x");
    REQUIRE(loader.seen.size() == 1);
    CHECK(loader.seen[0].paths ==
          std::vector<std::string>{"/p/include/dir/compose.yaml", "/p/include/dir/override.yaml"});
    CHECK(loader.seen[0].project_directory == "/p/subdir");
    CHECK(loader.seen[0].env_files == std::vector<std::string>{"/p/custom.env"});
    CHECK(loader.seen[0].at == "include[0]");
}

TEST_CASE("include: a resource defined on both sides must be identical", "[compose][include]") {
    const Files files = {{"/p/a.yaml", "services:\n  web: {image: nginx}\n  db: {image: pg}\n"}};
    CHECK(error_of(R"(include: [a.yaml]
services:
  web: {image: nginx}
  db: {image: mysql}
)",
                   files) == "compose.yaml:4:3: services.db: conflicts with imported resource");
}

TEST_CASE("include: cycles are rejected with the chain", "[compose][include]") {
    const Files files = {{"/p/a.yaml", "include:\n  - b/b.yaml\n"},
                         {"/p/b/b.yaml", "include:\n  - ../compose.yaml\n"},
                         {"/p/compose.yaml", "include: [a.yaml]\n"}};
    CHECK(error_of("include: [a.yaml]\n", files) ==
          "b/b.yaml:2:5: include[0]: include cycle detected: /p/compose.yaml -> /p/a.yaml -> "
          "/p/b/b.yaml -> /p/compose.yaml");
}

TEST_CASE("include: malformed entries and missing files are located", "[compose][include]") {
    CHECK(error_of(R"(include:
  - missing.yaml
  - project_directory: x
  - path: [1]
)",
                   {}) ==
          "compose.yaml:2:5: include[0]: cannot load \"/p/missing.yaml\": no such file or "
          "directory\n"
          "compose.yaml:3:5: include[1]: include entry must be a path or a mapping with \"path\"\n"
          "compose.yaml:4:5: include[2].path: include entry must be a path or a mapping with "
          "\"path\"");
    CHECK(error_of("include: 12\n", {}) == "compose.yaml:1:10: include: include must be a list");
}
