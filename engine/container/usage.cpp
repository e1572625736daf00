#include "engine/container/usage.hpp"

#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/sys/files.hpp"

namespace engine::container {

// Reads the records directly rather than through ContainerStore: rmi only needs two fields, and
// a record that cannot be parsed must not make every image look unused (it is skipped, and
// its container is still reported by `ps` as broken).
std::map<std::string, std::vector<std::string>> images_in_use(const std::string& root) {
    std::map<std::string, std::vector<std::string>> in_use;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root + "/containers", ec)) {
        auto text = sys::read_file(entry.path().string() + "/config.json");
        if (!text) continue;
        auto record = nlohmann::json::parse(text.value(), nullptr, false);
        if (!record.is_object()) continue;
        std::string image_id = record.value("image_id", "");
        if (image_id.empty()) continue;
        std::string name = record.value("name", entry.path().filename().string());
        in_use[image_id].push_back(name);
    }
    return in_use;
}

}  // namespace engine::container
