#pragma once

// Docker's copy-up: the first time an empty volume is mounted over a directory of the image,
// the image's content there is copied into the volume, keeping owners, modes, extended
// attributes, timestamps and symlinks, so that `-v data:/var/lib/app` starts from what the
// image ships.

#include "engine/sys/result.hpp"

namespace volumes {

/// Copies everything below the directory open as `src_dir` into the directory `dst_dir`.
/// Symlinks are copied as links and never followed; device nodes and fifos are recreated;
/// overlayfs whiteouts and its private xattrs are skipped; hard links become separate copies.
engine::Status copy_tree(int src_dir, int dst_dir);

/// True when the directory open as `dir_fd` has no entries.
engine::Result<bool> is_empty_dir(int dir_fd);

}  // namespace volumes
