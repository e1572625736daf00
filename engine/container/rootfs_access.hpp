#pragma once

// Runs code with a container's root filesystem as "/" (export, cp, commit): in a forked child
// that joins the running container's mount namespace, or, for a stopped container, mounts its
// layers read-only in a private mount namespace and chroots into them. Paths and symlinks are
// then resolved inside the container as they would be by its own processes, never on the host
// (the fix pattern of CVE-2018-15664 and CVE-2019-14271: no host-side path walking).

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::container {

/// What locates a container's root filesystem.
struct RootfsLocation {
    pid_t running_pid = 0;                ///< the container's init when running, else 0
    std::string upper_dir;                ///< its writable layer
    std::vector<std::string> layer_dirs;  ///< the image's layers, top first
    std::string mount_point;              ///< an empty directory for the read-only view
};

/// Forks, enters the container's root, runs `fn` there and returns its Status (the child's
/// error message travels back over a pipe). `fn` runs in a single-threaded child: it may use
/// fds inherited from the caller but must not touch the caller's memory expecting it to change.
Status in_container_root(const RootfsLocation& where, const std::function<Status()>& fn);

}  // namespace engine::container
