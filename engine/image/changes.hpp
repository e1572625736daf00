#pragma once

// Dockerfile instructions applied to an image config, as `docker import --change` and
// `docker commit --change` take them: CMD, ENTRYPOINT, ENV, WORKDIR, USER, EXPOSE, LABEL,
// VOLUME, STOPSIGNAL.

#include <string_view>

#include <nlohmann/json.hpp>

#include "engine/sys/result.hpp"

namespace engine::image {

/// Applies one instruction ("CMD [\"sh\"]", "ENV A=1 B=\"x y\"", "EXPOSE 80/tcp") to the
/// image's runtime config (the "config" object of an image config). JSON and shell forms are
/// read as the Dockerfile reads them; variables are not expanded.
Status apply_change(nlohmann::json& config, std::string_view instruction);

}  // namespace engine::image
