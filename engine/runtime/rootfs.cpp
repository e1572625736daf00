#include "engine/runtime/rootfs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <map>
#include <sstream>

#include "engine/runtime/cgroup.hpp"

namespace engine::runtime {
namespace {

constexpr unsigned long kSafe = MS_NOSUID | MS_NODEV | MS_NOEXEC;

std::string fd_path(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

int openat2_in_root(int root_fd, const std::string& rel, int flags) {
    open_how how{};
    how.flags = static_cast<__u64>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how));
}

Status mount_at(const std::string& source, int target_fd, const char* type, unsigned long flags,
                const std::string& data, const std::string& what) {
    if (::mount(source.c_str(), fd_path(target_fd).c_str(), type, flags,
                data.empty() ? nullptr : data.c_str()) != 0)
        return sys::errno_error("mount {} on {}", source, what);
    return sys::ok();
}

// Mounts `source` at `dest` (container path) beneath the root open as `root_fd`.
Status mount_in(int root_fd, const std::string& source, const std::string& dest, const char* type,
                unsigned long flags, const std::string& data = "", bool dir = true) {
    auto target = open_in_root(root_fd, dest, dir);
    if (!target) return target.error();
    return mount_at(source, target.value().get(), type, flags, data, dest);
}

// A bind that is also read-only (or nosuid…) needs a second, remounting call.
Status bind_in(int root_fd, const std::string& source, const std::string& dest, unsigned long flags,
               unsigned long propagation) {
    struct stat st{};
    if (::stat(source.c_str(), &st) != 0) return sys::errno_error("bind source {}", source);
    auto target = open_in_root(root_fd, dest, S_ISDIR(st.st_mode));
    if (!target) return target.error();
    int fd = target.value().get();
    if (auto s = mount_at(source, fd, nullptr, MS_BIND | (flags & MS_REC), "", dest); !s) return s;
    // The mount now covers the target, so the remount goes through a fresh lookup of it.
    auto mounted = open_in_root(root_fd, dest, S_ISDIR(st.st_mode));
    if (!mounted) return mounted.error();
    fd = mounted.value().get();
    unsigned long extra = flags & (MS_RDONLY | kSafe | MS_NOATIME | MS_RELATIME | MS_STRICTATIME);
    if (extra && ::mount(nullptr, fd_path(fd).c_str(), nullptr, MS_REMOUNT | MS_BIND | extra,
                         nullptr) != 0)
        return sys::errno_error("remount {} with its options", dest);
    if (propagation && ::mount(nullptr, fd_path(fd).c_str(), nullptr, propagation, nullptr) != 0)
        return sys::errno_error("set propagation of {}", dest);
    return sys::ok();
}

struct Device {
    const char* name;
    unsigned major, minor;
};
// runc's (and Docker's) default device nodes, all 0666 root:root.
constexpr Device kDevices[] = {{"null", 1, 3},    {"zero", 1, 5}, {"full", 1, 7},
                               {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};

Status populate_dev(int root_fd, int console_fd) {
    auto dev = open_in_root(root_fd, "/dev", true);
    if (!dev) return dev.error();
    // O_PATH fds cannot be used with mknodat; reopen the (fresh tmpfs) directory for real.
    sys::UniqueFd dir(::openat(dev.value().get(), ".", O_DIRECTORY | O_CLOEXEC));
    if (!dir) return sys::errno_error("open /dev");
    ::umask(0);
    for (const auto& d : kDevices)
        if (::mknodat(dir.get(), d.name, S_IFCHR | 0666, makedev(d.major, d.minor)) != 0)
            return sys::errno_error("mknod /dev/{}", d.name);
    const std::pair<const char*, const char*> links[] = {
        {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"}, {"pts/ptmx", "ptmx"}, {"/proc/kcore", "core"}};
    for (const auto& [target, name] : links)
        if (::symlinkat(target, dir.get(), name) != 0) return sys::errno_error("symlink /dev/{}", name);
    ::umask(022);
    if (auto s = mount_in(root_fd, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                          "newinstance,ptmxmode=0666,mode=0620,gid=5");
        !s)
        return s;
    if (auto s = mount_in(root_fd, "shm", "/dev/shm", "tmpfs", kSafe, "mode=1777,size=65536k"); !s)
        return s;
    if (auto s = mount_in(root_fd, "mqueue", "/dev/mqueue", "mqueue", kSafe); !s) return s;
    if (console_fd >= 0) {
        if (::mknodat(dir.get(), "console", S_IFREG | 0600, 0) != 0)
            return sys::errno_error("create /dev/console");
        // By its /dev/pts path: the fd's own mount belongs to the parent's mount namespace, and
        // mount(2) refuses (EINVAL) to bind from a mount of another namespace.
        char tty[64];
        if (int e = ::ttyname_r(console_fd, tty, sizeof tty); e != 0) {
            errno = e;
            return sys::errno_error("find the console's name");
        }
        return bind_in(root_fd, tty, "/dev/console", 0, 0);
    }
    return sys::ok();
}


// /sys/fs/cgroup read-only, showing the container's own cgroup (its cgroup namespace) as root.
Status mount_cgroups(int root_fd) {
    const unsigned long flags = kSafe | MS_RDONLY;
    if (detect_cgroup_version() == 2)
        return mount_in(root_fd, "cgroup", "/sys/fs/cgroup", "cgroup2", flags);
    if (auto s = mount_in(root_fd, "tmpfs", "/sys/fs/cgroup", "tmpfs", kSafe, "mode=755"); !s) return s;
    for (const auto& [name, controllers] : cgroup_hierarchies()) {
        std::string dest = "/sys/fs/cgroup/" + name;
        auto s = controllers.empty() ? mount_in(root_fd, "cgroup", dest, "cgroup2", flags)
                                     : mount_in(root_fd, "cgroup", dest, "cgroup", flags, controllers);
        if (!s) return s;
    }
    auto dir = open_in_root(root_fd, "/sys/fs/cgroup", true);
    if (!dir) return dir.error();
    if (::mount(nullptr, fd_path(dir.value().get()).c_str(), nullptr,
                MS_REMOUNT | MS_RDONLY | kSafe, nullptr) != 0)
        return sys::errno_error("remount /sys/fs/cgroup read-only");
    return sys::ok();
}

// /proc, /dev and /sys: nothing here depends on the process's cgroups.
Status mount_standard(const ContainerSpec& spec, int root_fd, int console_fd) {
    if (auto s = mount_in(root_fd, "proc", "/proc", "proc", kSafe); !s) return s;
    if (auto s = mount_in(root_fd, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
                          "mode=755,size=65536k");
        !s)
        return s;
    if (auto s = populate_dev(root_fd, console_fd); !s) return s;
    // sysfs shows the network namespace that mounts it: the host's one only with host networking,
    // where Docker binds the host's /sys instead.
    if (spec.host_network) return bind_in(root_fd, "/sys", "/sys", MS_REC | MS_RDONLY | kSafe, 0);
    return mount_in(root_fd, "sysfs", "/sys", "sysfs", kSafe | MS_RDONLY);
}

Status mount_extra(const ContainerSpec& spec, int root_fd) {
    for (const auto& m : spec.mounts) {
        auto opts = parse_mount_options(m.options);
        Status s = m.type == "bind"
                       ? bind_in(root_fd, m.source, m.destination, opts.flags | MS_BIND, opts.propagation)
                       : mount_in(root_fd, m.source, m.destination, m.type.c_str(), opts.flags, opts.data);
        if (!s) return s;
    }
    return sys::ok();
}

Status mount_root(const ContainerSpec& spec) {
    // Nothing we mount may propagate back to the host; host unmounts still reach us (runc's rslave).
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
        return sys::errno_error("make / a slave mount");
    const std::string& root = spec.rootfs_dir;
    if (spec.lower_dirs.empty()) {
        if (::mount(root.c_str(), root.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
            return sys::errno_error("bind {} on itself", root);
    } else if (::mount("overlay", root.c_str(), "overlay", 0, overlay_data(spec).c_str()) != 0) {
        return sys::errno_error("mount overlay on {}", root);
    }
    return sys::ok();
}

// runc's pivot_root(".", ".") followed by a lazy unmount of the old root, which stacks on top.
Status pivot_into(const std::string& root) {
    sys::UniqueFd new_root(::open(root.c_str(), O_DIRECTORY | O_RDONLY | O_CLOEXEC));
    if (!new_root) return sys::errno_error("open {}", root);
    if (::fchdir(new_root.get()) != 0) return sys::errno_error("chdir {}", root);
    if (::syscall(SYS_pivot_root, ".", ".") != 0) return sys::errno_error("pivot_root {}", root);
    if (::mount(nullptr, ".", nullptr, MS_REC | MS_SLAVE, nullptr) != 0)
        return sys::errno_error("make the old root a slave");
    if (::umount2(".", MNT_DETACH) != 0) return sys::errno_error("unmount the old root");
    if (::chdir("/") != 0) return sys::errno_error("chdir /");
    return sys::ok();
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    static const std::map<std::string, std::pair<unsigned long, bool>> kFlags = {
        {"ro", {MS_RDONLY, true}},        {"rw", {MS_RDONLY, false}},
        {"nosuid", {MS_NOSUID, true}},    {"suid", {MS_NOSUID, false}},
        {"nodev", {MS_NODEV, true}},      {"dev", {MS_NODEV, false}},
        {"noexec", {MS_NOEXEC, true}},    {"exec", {MS_NOEXEC, false}},
        {"bind", {MS_BIND, true}},        {"rbind", {MS_BIND | MS_REC, true}},
        {"noatime", {MS_NOATIME, true}},  {"relatime", {MS_RELATIME, true}},
        {"strictatime", {MS_STRICTATIME, true}}, {"sync", {MS_SYNCHRONOUS, true}}};
    static const std::map<std::string, unsigned long> kPropagation = {
        {"private", MS_PRIVATE}, {"rprivate", MS_PRIVATE | MS_REC}, {"slave", MS_SLAVE},
        {"rslave", MS_SLAVE | MS_REC}, {"shared", MS_SHARED}, {"rshared", MS_SHARED | MS_REC}};
    MountOptions out;
    for (const auto& o : options) {
        if (auto f = kFlags.find(o); f != kFlags.end()) {
            out.flags = f->second.second ? (out.flags | f->second.first) : (out.flags & ~f->second.first);
        } else if (auto p = kPropagation.find(o); p != kPropagation.end()) {
            out.propagation = p->second;
        } else {
            out.data += (out.data.empty() ? "" : ",") + o;
        }
    }
    return out;
}

std::string overlay_data(const ContainerSpec& spec) {
    std::string lower;
    for (const auto& dir : spec.lower_dirs) lower += (lower.empty() ? "" : ":") + dir;
    return "lowerdir=" + lower + ",upperdir=" + spec.upper_dir + ",workdir=" + spec.work_dir;
}

Result<sys::UniqueFd> open_in_root(int root_fd, const std::string& path, bool as_directory) {
    std::string rel;
    std::istringstream parts(path);
    std::vector<std::string> names;
    for (std::string part; std::getline(parts, part, '/');)
        if (!part.empty() && part != ".") names.push_back(part);
    if (names.empty()) {
        int fd = ::fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) return sys::errno_error("dup root");
        return sys::UniqueFd(fd);
    }
    for (size_t i = 0; i < names.size(); ++i) {
        std::string parent = rel.empty() ? "." : rel;
        rel += (rel.empty() ? "" : "/") + names[i];
        int fd = openat2_in_root(root_fd, rel, O_PATH);
        if (fd >= 0) {
            if (i + 1 == names.size()) return sys::UniqueFd(fd);
            ::close(fd);
            continue;
        }
        if (errno != ENOENT) return sys::errno_error("resolve {} in the container", path);
        // Create the missing component in its (already safely resolved) parent.
        sys::UniqueFd dir(openat2_in_root(root_fd, parent, O_DIRECTORY | O_RDONLY));
        if (!dir) return sys::errno_error("open parent of {} in the container", path);
        bool last = i + 1 == names.size();
        if (last && !as_directory) {
            int created = ::openat(dir.get(), names[i].c_str(),
                                   O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
            if (created < 0 && errno != EEXIST) return sys::errno_error("create {} in the container", path);
            if (created >= 0) ::close(created);
        } else if (::mkdirat(dir.get(), names[i].c_str(), 0755) != 0 && errno != EEXIST) {
            return sys::errno_error("create {} in the container", path);
        }
        fd = openat2_in_root(root_fd, rel, O_PATH);
        if (fd < 0) return sys::errno_error("resolve {} in the container", path);
        if (last) return sys::UniqueFd(fd);
        ::close(fd);
    }
    return Error{EINVAL, "unreachable"};  // the loop returns on its last component
}

Result<sys::UniqueFd> prepare_rootfs_early(const ContainerSpec& spec, int console_fd) {
    if (auto s = mount_root(spec); !s) return s.error();
    sys::UniqueFd root(::open(spec.rootfs_dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return sys::errno_error("open {}", spec.rootfs_dir);
    if (auto s = mount_standard(spec, root.get(), console_fd); !s) return s.error();
    return root;
}

Status finish_rootfs(const ContainerSpec& spec, int root_fd) {
    // The host's /sys binding already carries the host's cgroup mounts.
    if (!spec.host_network)
        if (auto s = mount_cgroups(root_fd); !s) return s;
    if (auto s = mount_extra(spec, root_fd); !s) return s;
    if (spec.readonly_rootfs &&
        ::mount(nullptr, spec.rootfs_dir.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
        return sys::errno_error("make the root filesystem read-only");
    return pivot_into(spec.rootfs_dir);
}

Status prepare_rootfs(const ContainerSpec& spec, int console_fd) {
    auto root = prepare_rootfs_early(spec, console_fd);
    if (!root) return root.error();
    return finish_rootfs(spec, root.value().get());
}

Status apply_path_restrictions(const ContainerSpec& spec) {
    for (const auto& path : spec.masked_paths) {
        struct stat st{};
        if (::lstat(path.c_str(), &st) != 0) continue;
        int rc = S_ISDIR(st.st_mode)
                     ? ::mount("tmpfs", path.c_str(), "tmpfs", MS_RDONLY, "size=0")
                     : ::mount("/dev/null", path.c_str(), nullptr, MS_BIND, nullptr);
        if (rc != 0) return sys::errno_error("mask {}", path);
    }
    for (const auto& path : spec.readonly_paths) {
        if (::mount(path.c_str(), path.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0) {
            if (errno == ENOENT) continue;
            return sys::errno_error("bind {} read-only", path);
        }
        if (::mount(nullptr, path.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | kSafe,
                    nullptr) != 0)
            return sys::errno_error("remount {} read-only", path);
    }
    return sys::ok();
}

}  // namespace engine::runtime
