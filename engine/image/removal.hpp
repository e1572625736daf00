#pragma once

// `docker rmi` and `docker image prune`: untagging and deleting with docker's rules and output.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/image/image_store.hpp"

namespace engine::image {

/// Image id → names of the containers created from it (see container::images_in_use).
using ImagesInUse = std::map<std::string, std::vector<std::string>>;

/// Removes `ref` as docker rmi does and returns what docker prints ("Untagged: busybox:latest",
/// "Deleted: sha256:…"). A name is untagged, and the image deleted once no name is left; an id
/// deletes the image. Without `force`, an image used by a container, or an id naming an image
/// with several names, is refused with docker's "conflict: …" message. With `force`, an image a
/// container uses is only untagged: its layers stay under that container's root filesystem.
Result<std::vector<std::string>> remove_image_ref(const ImageStore& store, const std::string& ref,
                                                  bool force, const ImagesInUse& in_use);

struct PruneReport {
    std::vector<std::string> lines;  ///< "untagged: …", "deleted: sha256:…"
    std::int64_t reclaimed = 0;      ///< bytes of unpacked layers deleted
};

/// Deletes dangling images (every unused image with `all`) that no container uses.
Result<PruneReport> prune_images(const ImageStore& store, bool all, const ImagesInUse& in_use);

}  // namespace engine::image
