#include "engine/container/usage.hpp"

namespace engine::container {

// TODO(engine): read the container store once it exists.
std::map<std::string, std::vector<std::string>> images_in_use(const std::string&) { return {}; }

}  // namespace engine::container
