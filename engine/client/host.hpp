#pragma once

#include <string>

#include "engine/client/api_error.hpp"

namespace engine::client {

inline constexpr const char* kDefaultHost = "unix:///run/berth.sock";

/// The daemon address to use: the -H flag, else BERTH_HOST, else DOCKER_HOST, else the default
/// (empty strings count as unset).
std::string choose_host(const std::string& flag);

/// The socket path of a unix:// host. tcp:// and anything else are refused for now.
ApiResult<std::string> unix_socket_path(const std::string& host);

}  // namespace engine::client
