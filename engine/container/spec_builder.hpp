#pragma once

// Docker's rules for turning a container's Config/HostConfig plus its image's config into what
// the runtime runs: the entrypoint/cmd merge, environment, working directory, user, hostname,
// capabilities, security options, limits and the standard /etc files. Pure: no I/O.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/container/record.hpp"
#include "engine/runtime/container_spec.hpp"
#include "engine/sys/result.hpp"

namespace engine::container {

/// Docker's default PATH, set when neither the image nor the user sets one.
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Merges the image's config into the user's Config as the daemon does at create time:
/// Entrypoint/Cmd (a user entrypoint drops the image's Cmd), Env by key, Labels, WorkingDir,
/// User, StopSignal, ExposedPorts, Volumes, Healthcheck.
nlohmann::json merge_image_config(const nlohmann::json& user_config,
                                  const nlohmann::json& image_config);

/// Two env lists ("K=V") merged: the second's entries replace the first's of the same key in
/// place, or are appended.
nlohmann::json merge_env(const nlohmann::json& base, const nlohmann::json& overrides);

/// The program and its arguments from a merged Config; error "No command specified" when
/// both Entrypoint and Cmd are empty.
Result<std::pair<std::string, std::vector<std::string>>> command_of(const nlohmann::json& config);

/// Where a container's files live (all under its directory).
struct ContainerPaths {
    std::string dir;
    std::vector<std::string> layer_dirs;  ///< the image's, top first
};

/// The runtime spec for starting `record` (whose config is already merged with its image).
Result<runtime::ContainerSpec> build_spec(const ContainerRecord& record,
                                          const ContainerPaths& paths);

/// /etc/resolv.conf for a container from the host's: nameservers on loopback cannot be reached
/// from the container's namespace and are dropped; with none left, Docker's fallback (8.8.8.8,
/// 8.8.4.4) is used.
std::string container_resolv_conf(const std::string& host_resolv_conf);

/// /etc/hosts for a container with `hostname` (and no network address yet).
std::string container_hosts(const std::string& hostname);

/// Parses docker's ulimit "name=soft[:hard]" ("nofile=1024:2048").
Result<runtime::Rlimit> parse_ulimit(const std::string& text);

/// A size as docker's flags take it ("512", "64m", "1.5g", "10kb"), in bytes.
Result<std::int64_t> parse_bytes(const std::string& text);

}  // namespace engine::container
