#include "engine/sys/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <random>

#include "engine/sys/unique_fd.hpp"

namespace engine::sys {
namespace {

std::string parent_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

Status write_all(int fd, std::string_view data, const std::string& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("write {}", path);
        data.remove_prefix(static_cast<size_t>(n));
    }
    return ok();
}

std::string temp_name(const std::string& path) {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{}.tmp-{}-{:x}", path, ::getpid(), rng());
}

// Removes the entries of an open directory; `dev` is the device of the tree's root so that a
// mount point found inside stops the walk instead of emptying someone else's filesystem.
Status remove_children(int dir_fd, const std::string& path, dev_t dev) {
    UniqueFd dup_fd{::dup(dir_fd)};
    DIR* dir = ::fdopendir(dup_fd.get());
    if (!dir) return errno_error("open directory {}", path);
    dup_fd.release();
    Status status = ok();
    while (dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        std::string child = path + "/" + name;
        struct stat st {};
        if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            status = errno_error("stat {}", child);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            if (st.st_dev != dev) {
                status = Error{EBUSY, fmt::format("remove {}: a filesystem is mounted there", child)};
                break;
            }
            UniqueFd sub{::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
            if (!sub) { status = errno_error("open {}", child); break; }
            if (auto s = remove_children(sub.get(), child, dev); !s) { status = s; break; }
        }
        int flags = S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0;
        if (::unlinkat(dir_fd, name.c_str(), flags) != 0 && errno != ENOENT) {
            status = errno_error("remove {}", child);
            break;
        }
    }
    ::closedir(dir);
    return status;
}

}  // namespace

Result<std::string> read_file(const std::string& path) {
    UniqueFd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd) return errno_error("open {}", path);
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno_error("read {}", path);
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Status write_file_atomic(const std::string& path, std::string_view data, unsigned mode,
                         Durability durability) {
    bool durable = durability == Durability::kDurable;
    std::string temp = temp_name(path);
    UniqueFd fd{::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)};
    if (!fd) return errno_error("create {}", temp);
    Status written = write_all(fd.get(), data, temp);
    if (written && ::fchmod(fd.get(), mode) != 0) written = errno_error("chmod {}", temp);
    if (written && durable && ::fsync(fd.get()) != 0) written = errno_error("fsync {}", temp);
    if (written && ::rename(temp.c_str(), path.c_str()) != 0) written = errno_error("rename {} to {}", temp, path);
    if (!written) {
        ::unlink(temp.c_str());
        return written;
    }
    if (!durable) return ok();
    // The rename is durable only once the directory entry is on disk.
    UniqueFd dir{::open(parent_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
    if (dir) ::fsync(dir.get());
    return ok();
}

Status make_dirs(const std::string& path, unsigned mode) {
    if (path.empty()) return ok();
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return ok();
        return Error{ENOTDIR, fmt::format("create directory {}: a file is in the way", path)};
    }
    std::string parent = parent_of(path);
    if (parent != path) {
        if (auto s = make_dirs(parent, mode); !s) return s;
    }
    if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return errno_error("create directory {}", path);
    return ok();
}

Status remove_tree(const std::string& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return ok();
        return errno_error("stat {}", path);
    }
    if (S_ISDIR(st.st_mode)) {
        UniqueFd fd{::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)};
        if (!fd) return errno_error("open {}", path);
        if (auto s = remove_children(fd.get(), path, st.st_dev); !s) return s;
        if (::rmdir(path.c_str()) != 0 && errno != ENOENT) return errno_error("remove {}", path);
        return ok();
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("remove {}", path);
    return ok();
}

bool exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace engine::sys
