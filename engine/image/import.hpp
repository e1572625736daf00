#pragma once

// `docker import`: a tarball of a root filesystem becomes a one-layer image.

#include <optional>
#include <string>
#include <vector>

#include "engine/image/image_store.hpp"

namespace engine::image {

struct ImportRequest {
    std::string source = "-";              ///< a file, or "-" for the stream given to import_image
    std::optional<Reference> ref;          ///< name to give the image
    std::vector<std::string> changes;      ///< Dockerfile instructions (--change)
    std::string message;                   ///< history comment (-m); default "Imported from SRC"
};

/// Reads the (possibly compressed) tar from `fd`, stores it as one layer and registers the
/// image; returns its id. Nothing is registered when the tar or a change is invalid.
Result<std::string> import_image(const ImageStore& store, int fd, const ImportRequest& request);

/// The host architecture in Go's spelling (amd64, arm64, ...), as image configs record it.
std::string host_architecture();

}  // namespace engine::image
