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

// `args` holds the compose flags one per line: "-f a.yaml", "--profile x", "--env-file e".
compose::LoadOptions options_for(const fs::path& dir) {
    compose::LoadOptions o;
    o.working_directory = dir.string();
    o.os_environment = {{"HOME", "/home/user"}, {"SHELL_VAR", "from-shell"}};
    std::ifstream args(dir / "args");
    for (std::string line; std::getline(args, line);) {
        auto space = line.find(' ');
        std::string flag = line.substr(0, space);
        std::string value = space == std::string::npos ? "" : line.substr(space + 1);
        if (flag == "-f") o.files.push_back(value);
        else if (flag == "-p") o.project_name = value;
        else if (flag == "--profile") o.profiles.push_back(value);
        else if (flag == "--env-file") o.env_files.push_back(value);
        else if (flag == "--project-directory") o.project_directory = value;
        else if (flag == "--all-resources") o.all_resources = true;
        else if (flag == "--env") o.os_environment[value.substr(0, value.find('='))] =
                value.substr(value.find('=') + 1);
    }
    return o;
}

std::string resolve(const fs::path& dir, compose::Tree* model) {
    try {
        auto project = compose::load(options_for(dir));
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

std::vector<fs::path> golden_dirs() {
    std::vector<fs::path> dirs;
    for (const char* root : {"tests/data/golden", "samples"}) {
        fs::path base = fs::path(BERTH_SOURCE_DIR) / root;
        if (!fs::is_directory(base)) continue;
        for (const auto& entry : fs::directory_iterator(base))
            if (entry.is_directory()) dirs.push_back(entry.path());
    }
    std::sort(dirs.begin(), dirs.end());
    return dirs;
}

}  // namespace

TEST_CASE("golden: every project resolves to its expected output", "[compose][golden]") {
    bool update = std::getenv("BERTH_UPDATE_GOLDEN") != nullptr;
    auto dirs = golden_dirs();
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
