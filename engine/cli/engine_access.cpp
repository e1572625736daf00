#include "engine/cli/engine_access.hpp"

#include <unistd.h>

#include <climits>
#include <cstdlib>

namespace engine::cli {

std::string shim_binary_path() {
    if (const char* env = std::getenv("BERTH_SHIM")) return env;
    char self[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) return "berth-shim";
    std::string path(self, static_cast<size_t>(n));
    return path.substr(0, path.find_last_of('/') + 1) + "berth-shim";
}

std::optional<container::Containers> open_engine(const Globals& globals) {
    container::EngineOptions options{globals.root, shim_binary_path()};
    // The engine-wide parent (dockerd's --cgroup-parent); tests give each run its own.
    if (const char* parent = std::getenv("BERTH_CGROUP_PARENT"); parent && *parent)
        options.cgroup_parent = parent;
    // The default bridge and the pools networks get subnets from (dockerd's --bridge and
    // --default-address-pool); tests give each run its own.
    if (const char* bridge = std::getenv("BERTH_BRIDGE"); bridge && *bridge)
        options.default_bridge = bridge;
    if (const char* pools = std::getenv("BERTH_ADDRESS_POOL"); pools && *pools)
        options.address_pools = pools;
    auto engine = container::Containers::open(options);
    if (!engine) {
        report(engine.error());
        return std::nullopt;
    }
    return std::move(engine.value());
}

int report(const Error& error) {
    std::cerr << "Error: " << error.message << '\n';
    return 1;
}

}  // namespace engine::cli
