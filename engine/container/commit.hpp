#pragma once

// docker commit: a container's writable layer becomes a new image on top of its image.

#include <optional>
#include <string>
#include <vector>

#include "engine/container/containers.hpp"
#include "engine/image/reference.hpp"

namespace engine::container {

struct CommitRequest {
    std::optional<image::Reference> ref;  ///< REPOSITORY[:TAG] to give the image
    std::string author;                    ///< -a
    std::string message;                   ///< -m
    std::vector<std::string> changes;      ///< -c, Dockerfile instructions
    bool pause = true;                     ///< -p: freeze a running container while its layer is read
};

/// Returns the new image's id ("sha256:…").
Result<std::string> commit_container(Containers& engine, const std::string& ref, const CommitRequest& request);

}  // namespace engine::container
