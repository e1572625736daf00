#pragma once

// The container's filesystem, built by the launcher's child inside its new mount namespace:
// the overlay root, /proc, /dev (tmpfs with the standard nodes, its own devpts, shm, mqueue),
// /sys read-only with the cgroup hierarchies, the spec's mounts, then pivot_root and Docker's
// masked and read-only paths. Every mount target is resolved beneath the new root, so a symlink
// in an image can never redirect a mount onto the host.

#include <map>
#include <string>
#include <vector>

#include "engine/runtime/container_spec.hpp"
#include "engine/sys/result.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::runtime {

/// Mount flags and the remaining data string from mount(8)-style options.
struct MountOptions {
    unsigned long flags = 0;
    unsigned long propagation = 0;
    std::string data;
};
MountOptions parse_mount_options(const std::vector<std::string>& options);

/// The overlay's mount data: "lowerdir=a:b,upperdir=u,workdir=w".
std::string overlay_data(const ContainerSpec& spec);

/// Opens `path` (absolute inside the container) beneath `root_fd` with RESOLVE_IN_ROOT, creating
/// missing directories, and the last component as a directory or an empty file.
Result<sys::UniqueFd> open_in_root(int root_fd, const std::string& path, bool as_directory);

/// Everything up to and including pivot_root; the process's root is the container's afterwards.
/// `console_fd` (a pty replica, or -1) becomes /dev/console.
Status prepare_rootfs(const ContainerSpec& spec, int console_fd);

/// prepare_rootfs in two steps, so that the first can run while the parent moves the process
/// into its cgroups: the root, /proc, /dev and /sys (returns the root, opened O_PATH), then
/// /sys/fs/cgroup (which shows the cgroup namespace), the spec's mounts and pivot_root.
Result<sys::UniqueFd> prepare_rootfs_early(const ContainerSpec& spec, int console_fd);
Status finish_rootfs(const ContainerSpec& spec, int root_fd);

/// Docker's masked and read-only paths, after pivot_root; missing paths are skipped.
Status apply_path_restrictions(const ContainerSpec& spec);

}  // namespace engine::runtime
