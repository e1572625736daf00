#pragma once

// `docker save`: images as one tar that is, like Docker 25's, both a docker-archive and an OCI
// image layout at once:
//
//   blobs/sha256/<hex>   configs, manifests, and layers as uncompressed tars named by diff_id
//   index.json           OCI index: one manifest descriptor per name (containerd annotations)
//   manifest.json        docker-archive: [{Config, RepoTags, Layers}] pointing into blobs/
//   oci-layout           {"imageLayoutVersion":"1.0.0"}
//   repositories         legacy {"name":{"tag":"<top layer>"}}
//
// The tar is streamed (libarchive) straight from the blob store; nothing is held in memory but
// the small JSON documents.

#include <string>
#include <vector>

#include "engine/image/image_store.hpp"

namespace engine::image {

enum class SaveFormat {
    kDockerAndOci,  ///< what `docker save` writes (default)
    kDocker,        ///< manifest.json + repositories + blobs
    kOci,           ///< oci-layout + index.json + blobs
};

/// An image to save with the names it is saved under (none when named by id).
struct SaveItem {
    Image image;
    std::vector<Reference> refs;
};

/// Resolves `docker save` arguments: "busybox:1" saves that tag, a name without tag every tag of
/// that repository, an id (or prefix) the image without names. Fails on the first unknown one.
Result<std::vector<SaveItem>> resolve_save_items(const ImageStore& store, const std::vector<std::string>& args);

/// Writes the archive of `items` to `fd`.
Status write_save_archive(const ImageStore& store, const std::vector<SaveItem>& items, int fd,
                          SaveFormat format = SaveFormat::kDockerAndOci);

/// Parses "docker", "oci" or "" (both).
Result<SaveFormat> parse_save_format(const std::string& text);

}  // namespace engine::image
