#pragma once

// Applying a layer tar to a directory, safe against hostile archives.
//
//   tar (gzip/zstd/xz/plain) ──libarchive──▶ entry ──clean path──▶ parent dir opened with
//   openat2(RESOLVE_BENEATH) ──▶ *at() syscalls on the leaf name only ──▶ dir metadata last
//
// Nothing is resolved by a plain path: every parent directory is opened beneath the layer root
// (absolute and `..` symlinks fail with EXDEV) and the leaf is created with O_NOFOLLOW or *at
// calls that never follow it, so no entry can write outside the layer.

#include <cstdint>
#include <string>

#include "engine/image/blob_store.hpp"
#include "engine/sys/result.hpp"

namespace engine::image {

/// Unpacks the tar at `tar_path` (compression auto-detected) into the existing directory
/// `dest`, converting OCI whiteouts to overlayfs ones. Returns the total size of the regular
/// files written. On error `dest` is left partly filled: the caller unpacks into a temp dir.
Result<std::int64_t> extract_layer(const std::string& tar_path, const std::string& dest);

/// Reads a (possibly compressed) stream from `fd` and stores its uncompressed bytes as a blob;
/// returns that blob's digest, which is the layer's diff_id.
Result<std::string> store_uncompressed(int fd, const BlobStore& blobs);

}  // namespace engine::image
