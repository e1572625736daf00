#pragma once

// Tar streams of files and trees (libarchive) for `export` and `cp`, and docker cp's rules for
// where a copy lands. The readers and writers work on paths as the calling process sees them:
// callers run them inside a container's root (in_container_root) or on the host.

#include <string>

#include "engine/sys/result.hpp"

namespace engine::container {

/// Writes `src` (a file, or a tree without following symlinks) to `fd` as a PAX tar. The top
/// entry is named `name`; with an empty `name` a directory's contents go in without it (export,
/// and `cp SRC/.`). Ownership, modes, times and xattrs are kept.
Status write_tar(int fd, const std::string& src, const std::string& name);

/// Extracts the tar on `fd` into the directory `dir`, refusing entries that would land outside it
/// (`..`, absolute names, writes through symlinks). Ownership is kept when `same_owner`.
Status extract_tar(int fd, const std::string& dir, bool same_owner = true);

/// A container's writable layer (an overlay upper dir) as an OCI layer tar, for `commit`:
/// overlay whiteouts (character device 0:0) become `.wh.NAME` entries and opaque directories
/// (xattr trusted.overlay.opaque=y) get a `.wh..wh..opq` entry; overlay's own xattrs stay out.
Status write_layer_tar(int fd, const std::string& upper_dir);

/// Where `docker cp` puts a copy of `src` given as `dest`: extract into `dir` with the top entry
/// named `name` (empty: the source directory's contents).
struct CopyPlan {
    std::string dir;
    std::string name;
};

/// What is known about the two ends of a copy.
struct CopyEnds {
    std::string src;          ///< as the user wrote it (a trailing "/." copies the contents)
    bool src_is_dir = false;
    std::string dest;         ///< as the user wrote it
    bool dest_exists = false;
    bool dest_is_dir = false;
};

/// docker cp's rules: into an existing directory as its base name; onto a new path as that name
/// (its parent must exist); a directory never onto an existing file; "dir/." copies the contents.
Result<CopyPlan> plan_copy(const CopyEnds& ends);

}  // namespace engine::container
