#include "volumes/copy_up.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "engine/sys/unique_fd.hpp"

// Written by hand: std::filesystem::copy keeps neither owners nor xattrs, and every step here
// must go through directory fds with O_NOFOLLOW so that nothing in the image can redirect it.
namespace volumes {
namespace {

namespace sys = engine::sys;
using engine::Status;

// Deep enough for any real image; bounded so a crafted one cannot exhaust the stack.
constexpr int kMaxDepth = 512;

Status copy_xattrs(int src_fd, int dst_fd, const std::string& name) {
    std::vector<char> names(4096);
    ssize_t len = ::flistxattr(src_fd, names.data(), names.size());
    if (len < 0 && errno == ERANGE) {
        len = ::flistxattr(src_fd, nullptr, 0);
        if (len > 0) names.resize(static_cast<size_t>(len));
        len = ::flistxattr(src_fd, names.data(), names.size());
    }
    if (len < 0) return errno == ENOTSUP ? sys::ok() : sys::errno_error("list xattrs of {}", name);
    for (const char* key = names.data(); key < names.data() + len; key += std::strlen(key) + 1) {
        // overlayfs's own bookkeeping (opaque dirs, redirects) means nothing outside its layers.
        if (std::string_view(key).rfind("trusted.overlay.", 0) == 0) continue;
        std::vector<char> value(static_cast<size_t>(std::max<ssize_t>(::fgetxattr(src_fd, key, nullptr, 0), 0)));
        ssize_t n = ::fgetxattr(src_fd, key, value.data(), value.size());
        if (n < 0) return sys::errno_error("read xattr {} of {}", key, name);
        if (::fsetxattr(dst_fd, key, value.data(), static_cast<size_t>(n), 0) != 0 && errno != ENOTSUP)
            return sys::errno_error("set xattr {} on {}", key, name);
    }
    return sys::ok();
}

// Owner before mode: chown clears the set-id bits that the mode then restores.
Status copy_metadata(int fd, const struct stat& st, int src_fd, const std::string& name) {
    if (::fchown(fd, st.st_uid, st.st_gid) != 0) return sys::errno_error("chown {}", name);
    if (::fchmod(fd, st.st_mode & 07777) != 0) return sys::errno_error("chmod {}", name);
    if (auto s = copy_xattrs(src_fd, fd, name); !s) return s;
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(fd, times) != 0) return sys::errno_error("set times of {}", name);
    return sys::ok();
}

Status copy_file(int src_dir, int dst_dir, const char* name, const struct stat& st) {
    sys::UniqueFd in(::openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) return sys::errno_error("open {}", name);
    sys::UniqueFd out(::openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) return sys::errno_error("create {}", name);
    for (off_t left = st.st_size; left > 0;) {
        ssize_t n = ::copy_file_range(in.get(), nullptr, out.get(), nullptr, static_cast<size_t>(left), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys::errno_error("copy {}", name);
        if (n == 0) break;  // the file shrank meanwhile
        left -= n;
    }
    return copy_metadata(out.get(), st, in.get(), name);
}

Status copy_symlink(int src_dir, int dst_dir, const char* name, const struct stat& st) {
    std::vector<char> target(static_cast<size_t>(st.st_size) + 2);
    ssize_t n = ::readlinkat(src_dir, name, target.data(), target.size() - 1);
    if (n < 0) return sys::errno_error("readlink {}", name);
    target[static_cast<size_t>(n)] = '\0';
    if (::symlinkat(target.data(), dst_dir, name) != 0) return sys::errno_error("symlink {}", name);
    if (::fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
        return sys::errno_error("chown {}", name);
    const struct timespec times[2] = {st.st_atim, st.st_mtim};
    if (::utimensat(dst_dir, name, times, AT_SYMLINK_NOFOLLOW) != 0) return sys::errno_error("set times of {}", name);
    return sys::ok();
}

Status copy_special(int dst_dir, const char* name, const struct stat& st) {
    if (::mknodat(dst_dir, name, st.st_mode, st.st_rdev) != 0) return sys::errno_error("mknod {}", name);
    if (::fchownat(dst_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
        return sys::errno_error("chown {}", name);
    if (::fchmodat(dst_dir, name, st.st_mode & 07777, 0) != 0) return sys::errno_error("chmod {}", name);
    return sys::ok();
}

Status copy_children(int src_dir, int dst_dir, int depth);

Status copy_directory(int src_dir, int dst_dir, const char* name, const struct stat& st, int depth) {
    if (::mkdirat(dst_dir, name, 0700) != 0) return sys::errno_error("mkdir {}", name);
    sys::UniqueFd in(::openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    sys::UniqueFd out(::openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!in || !out) return sys::errno_error("open directory {}", name);
    if (auto s = copy_children(in.get(), out.get(), depth + 1); !s) return s;
    return copy_metadata(out.get(), st, in.get(), name);
}

Status copy_entry(int src_dir, int dst_dir, const char* name, int depth) {
    struct stat st{};
    if (::fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return sys::errno_error("stat {}", name);
    switch (st.st_mode & S_IFMT) {
    case S_IFDIR: return copy_directory(src_dir, dst_dir, name, st, depth);
    case S_IFREG: return copy_file(src_dir, dst_dir, name, st);
    case S_IFLNK: return copy_symlink(src_dir, dst_dir, name, st);
    case S_IFCHR:
        if (major(st.st_rdev) == 0 && minor(st.st_rdev) == 0) return sys::ok();  // a whiteout
        return copy_special(dst_dir, name, st);
    case S_IFSOCK: return sys::ok();  // a socket is only meaningful to the process that bound it
    default: return copy_special(dst_dir, name, st);
    }
}

Status copy_children(int src_dir, int dst_dir, int depth) {
    if (depth > kMaxDepth) return engine::Error{ELOOP, "copy image content: directory tree too deep"};
    int dup_fd = ::openat(src_dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup_fd < 0) return sys::errno_error("open directory");
    DIR* dir = ::fdopendir(dup_fd);
    if (!dir) {
        ::close(dup_fd);
        return sys::errno_error("read directory");
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(dir))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
    ::closedir(dir);
    for (const auto& name : names)
        if (auto s = copy_entry(src_dir, dst_dir, name.c_str(), depth); !s) return s;
    return sys::ok();
}

}  // namespace

Status copy_tree(int src_dir, int dst_dir) {
    if (auto s = copy_children(src_dir, dst_dir, 0); !s) return s;
    // The volume's root takes the owner and mode of the image's directory, as Docker's copy does.
    struct stat st{};
    if (::fstat(src_dir, &st) != 0) return sys::errno_error("stat the image's directory");
    if (::fchown(dst_dir, st.st_uid, st.st_gid) != 0) return sys::errno_error("chown the volume");
    if (::fchmod(dst_dir, st.st_mode & 07777) != 0) return sys::errno_error("chmod the volume");
    return sys::ok();
}

engine::Result<bool> is_empty_dir(int dir_fd) {
    int dup_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup_fd < 0) return sys::errno_error("open directory");
    DIR* dir = ::fdopendir(dup_fd);
    if (!dir) {
        ::close(dup_fd);
        return sys::errno_error("read directory");
    }
    bool empty = true;
    while (struct dirent* e = ::readdir(dir))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
            empty = false;
            break;
        }
    ::closedir(dir);
    return empty;
}

}  // namespace volumes
