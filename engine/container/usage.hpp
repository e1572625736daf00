#pragma once

#include <map>
#include <string>
#include <vector>

namespace engine::container {

/// Image id ("sha256:…") → names of the containers (running or not) created from it, for the
/// state root `root`. `rmi` refuses to remove an image in this map unless forced.
std::map<std::string, std::vector<std::string>> images_in_use(const std::string& root);

}  // namespace engine::container
