#pragma once

// `docker load`: registers the images of a docker-archive (manifest.json, with Docker 25 blob
// paths or legacy <id>/layer.tar), of an OCI image layout (index.json → [nested index →]
// manifest → config + layers), or of both at once, read from a plain or gzip/xz/zstd stream.
//
// The outer tar is extracted into a private temp dir under the state root (removed afterwards),
// because nothing orders its entries: manifest.json may come before or after the blobs it names.
// Only directories and regular files reach the disk; symlinks and hard links (docker 20.10 links
// repeated layers) are kept as names resolved inside the archive, never outside it.
//
// Every digest is checked: config bytes against the image id / descriptor, OCI blobs against
// their descriptors, and each layer's uncompressed bytes against config.rootfs.diff_ids. An image
// is registered and tagged only once all of its layers are stored.

#include <functional>
#include <string>
#include <vector>

#include "engine/image/image_store.hpp"

namespace engine::image {

struct LoadOptions {
    std::string temp_parent;       ///< where the archive is extracted (under the state root)
    std::string os = "linux";      ///< platform picked from a multi-platform OCI index
    std::string architecture;      ///< empty = the host's
};

/// One image found in an archive, ready to be checked and stored. Paths are archive paths.
struct ArchiveImage {
    std::string config_path;
    std::string config_digest;            ///< expected digest ("" = whatever the bytes hash to)
    std::vector<std::string> layer_paths;
    std::vector<std::string> layer_digests;  ///< OCI blob digests ("" in a docker-archive)
    std::vector<std::string> names;          ///< references to tag, as written in the archive
};

/// Reads one file of the archive by its archive path (for parsing; bounded in size).
using ReadArchiveFile = std::function<Result<std::string>(const std::string& path)>;

/// The images a docker-archive's manifest.json lists.
Result<std::vector<ArchiveImage>> parse_docker_manifest(const std::string& manifest_json);

/// The images an OCI layout's index.json leads to, through nested indexes (picking the
/// platform of `options`); index and manifest blobs read through `read` are digest-checked.
Result<std::vector<ArchiveImage>> parse_oci_layout(const ReadArchiveFile& read, const LoadOptions& options);

/// Reads the archive on `fd`, stores its images and reports each docker output line
/// ("Loaded image: busybox:latest", "Loaded image ID: sha256:…") through `print`.
Status load_images(const ImageStore& store, int fd, const LoadOptions& options,
                   const std::function<void(const std::string&)>& print);

}  // namespace engine::image
