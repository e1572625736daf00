#pragma once

// docker export and docker cp on top of rootfs access: every path inside a container is
// resolved by a process whose root is the container's, never by walking host paths.

#include <string>

#include "engine/container/containers.hpp"
#include "engine/container/rootfs_access.hpp"

namespace engine::container {

/// Where a container's root filesystem is: `live` joins a running container (its mounts,
/// volumes included, as `cp` sees them); otherwise the layers are mounted read-only (`export`).
Result<RootfsLocation> rootfs_location(const Containers& engine, const std::string& ref, bool live);

/// The container's filesystem as a tar stream on `fd` (docker export).
Status export_rootfs(const Containers& engine, const std::string& ref, int fd);

/// docker cp CONTAINER:SRC DEST; DEST "-" writes the tar stream to `stream_fd`.
Status copy_from_container(const Containers& engine, const std::string& ref, const std::string& src,
                           const std::string& dest, int stream_fd = 1);

/// docker cp SRC CONTAINER:DEST; SRC "-" reads a tar stream from `stream_fd`.
Status copy_to_container(const Containers& engine, const std::string& ref, const std::string& src,
                         const std::string& dest, int stream_fd = 0);

}  // namespace engine::container
