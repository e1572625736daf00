#include "compose/loader.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "compose/yaml_parse.hpp"

namespace compose {
namespace fs = std::filesystem;

namespace {
std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw schema::LoadError({path, 0, 0}, "", "cannot read file");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

Project load(const LoadOptions& options) {
    Project project;
    std::string file = options.files.empty() ? "compose.yaml" : options.files.front();
    auto path = fs::absolute(file);
    auto documents = parse_yaml(read_file(path.string()), file, path.parent_path().string());
    project.model = documents.empty() ? Tree::object() : documents.front().tree;
    project.name = options.project_name;
    project.model["name"] = project.name;
    return project;
}

}  // namespace compose
