#pragma once

// Which device nodes a container may use: Docker's device cgroup rules (moby's spec, then runc's
// AllowedDevices appended). With CAP_MKNOD in the default set, a container can create any node;
// these rules are what keep it from reading or writing the host's disks through one.

#include <sys/types.h>

#include <string>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::runtime {

/// The cgroup v1 rules in order, each a line for devices.allow or devices.deny.
struct DeviceRule {
    bool allow;
    std::string rule;  ///< "c 1:3 rwm", "a *:* rwm"
};
std::vector<DeviceRule> default_device_rules(bool privileged);

/// Applies the rules to the container's devices cgroup "<parent>/<id>" under `mount_root` and
/// moves `pid` into it (cgroup v1). On cgroup v2 it attaches the rules, compiled to an eBPF
/// program (device_bpf.hpp), to the container's cgroup "<parent>/<id>", which must exist
/// already; privileged containers get none.
Status restrict_devices(const std::string& parent, const std::string& id, pid_t pid, bool privileged,
                        const std::string& mount_root = "/sys/fs/cgroup");

/// Removes the devices cgroup made by restrict_devices; missing is fine. On v2 there is nothing
/// to remove: the kernel detaches the program when the container's cgroup goes.
void remove_device_cgroup(const std::string& parent, const std::string& id,
                          const std::string& mount_root = "/sys/fs/cgroup");

}  // namespace engine::runtime
