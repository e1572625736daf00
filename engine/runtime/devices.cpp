#include "engine/runtime/devices.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/device_bpf.hpp"
#include "engine/sys/files.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::runtime {
namespace {

Status append_line(const std::string& path, const std::string& line) {
    sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()))
        return sys::errno_error("write \"{}\" to {}", line, path);
    return sys::ok();
}

std::string devices_dir(const std::string& parent, const std::string& id, const std::string& root) {
    return root + "/devices/" + parent + "/" + id;
}

}  // namespace

std::vector<DeviceRule> default_device_rules(bool privileged) {
    if (privileged) return {{true, "a *:* rwm"}};
    return {
        {false, "a *:* rwm"},
        // moby's defaults: zero, null, urandom, random, tty, console; /dev/fuse denied.
        {true, "c 1:5 rwm"}, {true, "c 1:3 rwm"}, {true, "c 1:9 rwm"}, {true, "c 1:8 rwm"},
        {true, "c 5:0 rwm"}, {true, "c 5:1 rwm"}, {false, "c 10:229 rwm"},
        // runc's AllowedDevices: mknod of anything, full, the pty replicas, ptmx, tun.
        {true, "c *:* m"}, {true, "b *:* m"}, {true, "c 1:7 rwm"}, {true, "c 136:* rwm"},
        {true, "c 5:2 rwm"}, {true, "c 10:200 rwm"},
    };
}

Status restrict_devices(const std::string& parent, const std::string& id, pid_t pid, bool privileged,
                        const std::string& mount_root) {
    if (detect_cgroup_version(mount_root) == 2) {
        // The unified hierarchy has no devices controller: a BPF program on the container's
        // cgroup (which already holds `pid`, still waiting for its go) decides instead. Docker
        // attaches none for privileged containers.
        if (privileged) return sys::ok();
        return attach_device_rules(mount_root + "/" + parent + "/" + id, default_device_rules(false));
    }
    std::string dir = devices_dir(parent, id, mount_root);
    if (auto made = sys::make_dirs(dir, 0755); !made) return made;
    for (const auto& r : default_device_rules(privileged))
        if (auto s = append_line(dir + (r.allow ? "/devices.allow" : "/devices.deny"), r.rule); !s)
            return s;
    return append_line(dir + "/cgroup.procs", std::to_string(pid));
}

void remove_device_cgroup(const std::string& parent, const std::string& id, const std::string& mount_root) {
    ::rmdir(devices_dir(parent, id, mount_root).c_str());
}

}  // namespace engine::runtime
