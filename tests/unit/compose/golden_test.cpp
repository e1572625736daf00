// Golden tests: every project under tests/data/golden/ and samples/ is resolved, and its
// canonical YAML is compared with the `expected.yaml` beside it (or its error with
// `expected-error.txt`). The output is also loaded again and must resolve to the same model.
// BERTH_UPDATE_GOLDEN=1 rewrites the expectations (review the diff before committing).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <catch2/catch.hpp>

#include "compose/config_output.hpp"
#include "compose/loader.hpp"
#include "tests/support/golden.hpp"

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
}

std::string resolve(const fs::path& dir, compose::Tree* model) {
    try {
        auto project = compose::load(golden_options(dir));
        if (model) *model = project.model;
        auto text = compose::to_yaml(project.model);
        replace_all(text, dir.string(), "<DIR>");
        return text;
    } catch (const schema::LoadError& e) {
        std::string text = std::string("error: ") + e.what() + "\n";
        replace_all(text, dir.string(), "<DIR>");
        return text;
    }
}

}  // namespace

TEST_CASE("golden: every project resolves to its expected output", "[compose][golden]") {
    bool update = std::getenv("BERTH_UPDATE_GOLDEN") != nullptr;
    auto dirs = golden_dirs(BERTH_SOURCE_DIR);
    REQUIRE(!dirs.empty());
    for (const auto& dir : dirs) {
        DYNAMIC_SECTION(dir.filename().string()) {
            compose::Tree model;
            std::string got = resolve(dir, &model);
            fs::path expected = dir / (got.rfind("error: ", 0) == 0 ? "expected-error.txt"
                                                                    : "expected.yaml");
            if (update) std::ofstream(expected) << got;
            REQUIRE(fs::exists(expected));
            CHECK(got == slurp(expected));
            if (got.rfind("error: ", 0) == 0) continue;
            // Round trip: the printed model loads again to the same model.
            fs::path again = fs::temp_directory_path() / ("berth-golden-" + dir.filename().string());
            fs::create_directories(again);
            std::ofstream(again / "compose.yaml") << compose::to_yaml(model);
            compose::LoadOptions o;
            o.files = {(again / "compose.yaml").string()};
            o.working_directory = again.string();
            o.project_name = model.value("name", "x");
            o.profiles = {"*"};  // the output holds only enabled services: keep them all
            o.os_environment = {{"HOME", "/home/user"}};
            auto reloaded = compose::load(o);
            fs::remove_all(again);
            CHECK(compose::to_json(reloaded.model) == compose::to_json(model));
        }
    }
}
