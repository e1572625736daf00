#include "engine/image/layer_extract.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "engine/sys/unique_fd.hpp"

namespace engine::image {
namespace {

using sys::UniqueFd;

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr std::string_view kWhiteoutMeta = ".wh..wh.";

struct ArchiveFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ArchivePtr = std::unique_ptr<archive, ArchiveFree>;

Error archive_error(archive* a, std::string_view what) {
    const char* msg = archive_error_string(a);
    return Error{archive_errno(a), fmt::format("{}: {}", what, msg ? msg : "unknown archive error")};
}

// glibc 2.36 has no openat2() wrapper.
int open_beneath(int root, const std::string& path, int flags) {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, root, path.empty() ? "." : path.c_str(), &how, sizeof how));
}

// Lexically cleans an entry name into components, as Docker's filepath.Clean: leading "/" and
// "." are dropped, ".." pops, and a ".." that would climb above the layer root is an error.
Result<std::vector<std::string>> clean_path(std::string_view name) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= name.size()) {
        size_t slash = name.find('/', start);
        std::string_view comp = name.substr(start, slash == std::string_view::npos ? slash : slash - start);
        if (comp == "..") {
            if (parts.empty())
                return Error{EXDEV, fmt::format("invalid tar entry \"{}\": path escapes the layer", name)};
            parts.pop_back();
        } else if (!comp.empty() && comp != ".") {
            parts.emplace_back(comp);
        }
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return parts;
}

std::string join(const std::vector<std::string>& parts, size_t count) {
    std::string out;
    for (size_t i = 0; i < count; ++i) out += (i ? "/" : "") + parts[i];
    return out;
}

// rm -r relative to a directory fd, never following symlinks.
Status remove_at(int dirfd, const std::string& name) {
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? sys::ok() : sys::errno_error("stat {}", name);
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(dirfd, name.c_str(), 0) != 0) return sys::errno_error("remove {}", name);
        return sys::ok();
    }
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return sys::errno_error("open {}", name);
    std::vector<std::string> children;
    DIR* dir = ::fdopendir(fd);
    while (dirent* e = ::readdir(dir))
        if (std::string_view(e->d_name) != "." && std::string_view(e->d_name) != "..")
            children.emplace_back(e->d_name);
    Status status = sys::ok();
    for (const auto& child : children)
        if (status = remove_at(::dirfd(dir), child); !status) break;
    ::closedir(dir);
    if (status && ::unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0) return sys::errno_error("remove {}", name);
    return status;
}

struct DirMeta {
    std::string path;
    mode_t mode;
    timespec mtime;
};

class Extractor {
public:
    Extractor(archive* a, UniqueFd root) : a_(a), root_(std::move(root)) {}

    Result<std::int64_t> run() {
        archive_entry* entry = nullptr;
        while (true) {
            int r = archive_read_next_header(a_, &entry);
            if (r == ARCHIVE_EOF) break;
            if (r < ARCHIVE_WARN) return archive_error(a_, "read layer tar");
            if (auto applied = apply(entry); !applied) return applied.error();
        }
        if (auto done = finish_dirs(); !done) return done.error();
        return size_;
    }

private:
    Status apply(archive_entry* e) {
        auto parts = clean_path(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
        if (!parts) return parts.error();
        auto& p = parts.value();
        if (p.empty()) {  // the layer root itself ("./")
            if (archive_entry_filetype(e) == AE_IFDIR) dirs_.push_back({"", mode_of(e), mtime_of(e)});
            return sys::ok();
        }
        auto parent = open_parent(p, p.size() - 1);
        if (!parent) return parent.error();
        const std::string& leaf = p.back();
        if (leaf.rfind(kWhiteoutPrefix, 0) == 0) return whiteout(parent.value().get(), leaf);
        return create(e, parent.value().get(), leaf, join(p, p.size()));
    }

    // Opens the directory made of the first `count` components beneath the root, creating
    // missing ones (0755, root-owned) as Docker does for entries whose parents were omitted.
    Result<UniqueFd> open_parent(const std::vector<std::string>& p, size_t count) {
        std::string path = join(p, count);
        int fd = open_beneath(root_.get(), path, O_RDONLY | O_DIRECTORY);
        if (fd >= 0) return UniqueFd(fd);
        if (errno == EXDEV || errno == ELOOP)
            return Error{EXDEV, fmt::format("invalid tar entry \"{}\": path escapes the layer", join(p, p.size()))};
        if (errno != ENOENT || count == 0) return sys::errno_error("open {}", path);
        auto grand = open_parent(p, count - 1);
        if (!grand) return grand.error();
        if (::mkdirat(grand.value().get(), p[count - 1].c_str(), 0755) != 0 && errno != EEXIST)
            return sys::errno_error("mkdir {}", path);
        fd = open_beneath(root_.get(), path, O_RDONLY | O_DIRECTORY);
        if (fd < 0) return sys::errno_error("open {}", path);
        return UniqueFd(fd);
    }

    // OCI whiteouts become overlayfs ones: ".wh.NAME" a 0:0 char device NAME, ".wh..wh..opq"
    // the opaque xattr on the directory. Other ".wh..wh." names are aufs metadata: skipped.
    Status whiteout(int parent, const std::string& leaf) {
        if (leaf == kOpaqueMarker) {
            if (::fsetxattr(parent, "trusted.overlay.opaque", "y", 1, 0) != 0)
                return sys::errno_error("set opaque xattr for {}", leaf);
            return sys::ok();
        }
        if (leaf.rfind(kWhiteoutMeta, 0) == 0) return sys::ok();
        std::string name = leaf.substr(kWhiteoutPrefix.size());
        if (name.empty() || name == "." || name == "..")
            return Error{EINVAL, fmt::format("invalid whiteout entry \"{}\"", leaf)};
        if (auto removed = remove_at(parent, name); !removed) return removed;
        if (::mknodat(parent, name.c_str(), S_IFCHR | 0, ::makedev(0, 0)) != 0)
            return sys::errno_error("create whiteout {}", name);
        return sys::ok();
    }

    Status create(archive_entry* e, int parent, const std::string& leaf, const std::string& path) {
        auto type = archive_entry_filetype(e);
        struct stat st {};
        bool exists = ::fstatat(parent, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
        bool keep_dir = exists && S_ISDIR(st.st_mode) && type == AE_IFDIR && !archive_entry_hardlink(e);
        if (exists && !keep_dir)
            if (auto removed = remove_at(parent, leaf); !removed) return removed;
        if (const char* target = archive_entry_hardlink(e)) return hardlink(parent, leaf, target);
        switch (type) {
        case AE_IFREG: return regular(e, parent, leaf);
        case AE_IFDIR:
            if (!keep_dir && ::mkdirat(parent, leaf.c_str(), 0700) != 0) return sys::errno_error("mkdir {}", path);
            dirs_.push_back({path, mode_of(e), mtime_of(e)});
            return owner_and_times(e, parent, leaf, false);
        case AE_IFLNK:
            if (::symlinkat(archive_entry_symlink(e), parent, leaf.c_str()) != 0)
                return sys::errno_error("symlink {}", path);
            return owner_and_times(e, parent, leaf, false);
        case AE_IFIFO:
            if (::mknodat(parent, leaf.c_str(), S_IFIFO | mode_of(e), 0) != 0) return sys::errno_error("mkfifo {}", path);
            return owner_and_times(e, parent, leaf, true);
        case AE_IFCHR:
            // A whiteout already in overlay form is kept. Every other device node is skipped, as
            // Docker does when it cannot mknod (rootless, userns): a container gets its /dev from
            // a fresh tmpfs, so a device in an image is never needed and only a risk.
            if (archive_entry_rdev(e) != 0) return sys::ok();
            if (::mknodat(parent, leaf.c_str(), S_IFCHR, 0) != 0) return sys::errno_error("mknod {}", path);
            return owner_and_times(e, parent, leaf, false);
        default: return sys::ok();  // block devices and sockets: skipped (see above)
        }
    }

    Status hardlink(int parent, const std::string& leaf, const char* target) {
        auto t = clean_path(target);
        if (!t) return t.error();
        if (t.value().empty()) return Error{EINVAL, fmt::format("invalid hardlink target \"{}\"", target)};
        auto tparent = open_parent(t.value(), t.value().size() - 1);
        if (!tparent) return tparent.error();
        // flags 0: a symlink target is linked itself, never followed.
        if (::linkat(tparent.value().get(), t.value().back().c_str(), parent, leaf.c_str(), 0) != 0)
            return sys::errno_error("hardlink {} to {}", leaf, target);
        return sys::ok();
    }

    Status regular(archive_entry* e, int parent, const std::string& leaf) {
        UniqueFd fd(::openat(parent, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) return sys::errno_error("create {}", leaf);
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        int r;
        while ((r = archive_read_data_block(a_, &block, &size, &offset)) == ARCHIVE_OK) {
            if (::pwrite(fd.get(), block, size, offset) != static_cast<ssize_t>(size))
                return sys::errno_error("write {}", leaf);
        }
        if (r != ARCHIVE_EOF) return archive_error(a_, fmt::format("read tar data of {}", leaf));
        if (::ftruncate(fd.get(), archive_entry_size(e)) != 0) return sys::errno_error("truncate {}", leaf);
        size_ += archive_entry_size(e);
        if (::fchown(fd.get(), archive_entry_uid(e), archive_entry_gid(e)) != 0)
            return sys::errno_error("chown {}", leaf);
        // After chown: chown clears setuid/setgid.
        if (::fchmod(fd.get(), mode_of(e)) != 0) return sys::errno_error("chmod {}", leaf);
        if (auto x = xattrs(e, fd.get()); !x) return x;
        timespec times[2] = {mtime_of(e), mtime_of(e)};
        if (::futimens(fd.get(), times) != 0) return sys::errno_error("set times of {}", leaf);
        return sys::ok();
    }

    Status owner_and_times(archive_entry* e, int parent, const std::string& leaf, bool chmod) {
        if (::fchownat(parent, leaf.c_str(), archive_entry_uid(e), archive_entry_gid(e), AT_SYMLINK_NOFOLLOW) != 0)
            return sys::errno_error("chown {}", leaf);
        if (chmod && ::fchmodat(parent, leaf.c_str(), mode_of(e), 0) != 0) return sys::errno_error("chmod {}", leaf);
        timespec times[2] = {mtime_of(e), mtime_of(e)};
        if (::utimensat(parent, leaf.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
            return sys::errno_error("set times of {}", leaf);
        return sys::ok();
    }

    // trusted.overlay.* from an archive is dropped: those attributes steer overlayfs itself
    // (redirect, metacopy, opaque), and only whiteout entries may ask for them.
    static Status xattrs(archive_entry* e, int fd) {
        const char* name = nullptr;
        const void* value = nullptr;
        size_t size = 0;
        archive_entry_xattr_reset(e);
        while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
            if (std::string_view(name).rfind("trusted.overlay.", 0) == 0) continue;
            if (::fsetxattr(fd, name, value, size, 0) != 0 && errno != ENOTSUP)
                return sys::errno_error("set xattr {}", name);
        }
        return sys::ok();
    }

    // Directory modes and mtimes go last, deepest first: creating children changes a
    // directory's mtime, and a 0555 directory would refuse them.
    Status finish_dirs() {
        std::stable_sort(dirs_.begin(), dirs_.end(), [](const DirMeta& a, const DirMeta& b) {
            return std::count(a.path.begin(), a.path.end(), '/') > std::count(b.path.begin(), b.path.end(), '/');
        });
        for (const auto& d : dirs_) {
            UniqueFd fd(open_beneath(root_.get(), d.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
            if (!fd) continue;  // replaced by a later entry
            timespec times[2] = {d.mtime, d.mtime};
            if (::fchmod(fd.get(), d.mode) != 0 || ::futimens(fd.get(), times) != 0)
                return sys::errno_error("set metadata of directory {}", d.path);
        }
        return sys::ok();
    }

    static mode_t mode_of(archive_entry* e) { return archive_entry_perm(e) & 07777; }
    static timespec mtime_of(archive_entry* e) {
        return {archive_entry_mtime(e), archive_entry_mtime_is_set(e) ? archive_entry_mtime_nsec(e) : 0};
    }

    archive* a_;
    UniqueFd root_;
    std::vector<DirMeta> dirs_;
    std::int64_t size_ = 0;
};

}  // namespace

static Result<std::int64_t> extract(const std::string& tar_path, const std::string& dest) {
    ArchivePtr a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_empty(a.get());
    if (archive_read_open_filename(a.get(), tar_path.c_str(), 1 << 16) != ARCHIVE_OK)
        return archive_error(a.get(), "read layer tar");
    UniqueFd root(::open(dest.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root) return sys::errno_error("open {}", dest);
    return Extractor(a.get(), std::move(root)).run();
}

Result<std::int64_t> extract_layer(const std::string& tar_path, const std::string& dest) {
    return extract(tar_path, dest).context("apply layer");
}

Result<std::string> store_uncompressed(int fd, const BlobStore& blobs) {
    ArchivePtr a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_raw(a.get());
    archive_entry* entry = nullptr;
    if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK ||
        archive_read_next_header(a.get(), &entry) != ARCHIVE_OK)
        return archive_error(a.get(), "read layer");
    auto writer = blobs.writer();
    if (!writer) return writer.error();
    std::vector<char> buf(1 << 16);
    while (true) {
        la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
        if (n == 0) break;
        if (n < 0) return archive_error(a.get(), "decompress layer");
        if (auto w = writer.value().write(buf.data(), static_cast<size_t>(n)); !w) return w.error();
    }
    return writer.value().commit();
}

}  // namespace engine::image
