#include "engine/client/host.hpp"

#include <cstdlib>

namespace engine::client {

namespace {

std::string env(const char* name) {
    const char* value = std::getenv(name);
    return value ? value : "";
}

}  // namespace

std::string choose_host(const std::string& flag) {
    for (const std::string& candidate : {flag, env("BERTH_HOST"), env("DOCKER_HOST")})
        if (!candidate.empty()) return candidate;
    return kDefaultHost;
}

ApiResult<std::string> unix_socket_path(const std::string& host) {
    const std::string scheme = "unix://";
    if (host.rfind(scheme, 0) == 0) {
        std::string path = host.substr(scheme.size());
        if (path.empty()) return ApiError{ErrorKind::config, 0, "host " + host + ": no socket path"};
        return path;
    }
    if (host.rfind("tcp://", 0) == 0)
        return ApiError{ErrorKind::config, 0, "host " + host + ": tcp:// is not supported yet, use unix://"};
    return ApiError{ErrorKind::config, 0, "host " + host + ": unknown scheme, expected unix://<path>"};
}

}  // namespace engine::client
