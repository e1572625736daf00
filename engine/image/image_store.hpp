#pragma once
#include <cstdint>
#include <string>
#include <vector>
#include <nlohmann/json.hpp>
#include "engine/sys/result.hpp"
namespace engine::image {
struct Image {
    std::string id;
    std::vector<std::string> repo_tags;
    std::vector<std::string> repo_digests;
    nlohmann::json config;
    std::vector<std::string> layer_dirs;
    std::int64_t size = 0;
};
class ImageStore {
public:
    static Result<ImageStore> open(const std::string& root);
    Result<Image> get(const std::string& ref_or_id) const;
};
}
