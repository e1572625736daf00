#include "engine/runtime/protected_binary.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "engine/sys/files.hpp"

namespace engine::runtime {
namespace {

bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool mounted_read_only(const std::string& path, const struct stat& source) {
    struct stat st{};
    struct statvfs vfs{};
    return ::stat(path.c_str(), &st) == 0 && same_file(st, source) &&
           ::statvfs(path.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY);
}

}  // namespace

Result<std::string> protected_binary(const std::string& binary, const std::string& dir) {
    struct stat source{};
    if (::stat(binary.c_str(), &source) != 0) return sys::errno_error("find {}", binary);
    std::string target = dir + "/" + binary.substr(binary.find_last_of('/') + 1);
    if (mounted_read_only(target, source)) return target;
    if (auto made = sys::make_dirs(dir, 0700); !made) return made.error();
    // A stale mount (the binary was upgraded) goes first; the mount point is a plain file.
    while (::umount2(target.c_str(), MNT_DETACH) == 0) {
    }
    int fd = ::open(target.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0500);
    if (fd < 0) return sys::errno_error("create {}", target);
    ::close(fd);
    if (::mount(binary.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
        return sys::errno_error("bind {} on {}", binary, target);
    if (::mount(nullptr, target.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
        auto error = sys::errno_error("make {} read-only", target);
        ::umount2(target.c_str(), MNT_DETACH);
        return error;
    }
    return target;
}

}  // namespace engine::runtime
