#include "engine/image/archive_tree.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <memory>
#include <vector>

#include "engine/sys/files.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::image {
namespace {

using sys::UniqueFd;

constexpr const char* kDirPrefix = "load-";
constexpr int kMaxLinkHops = 40;
constexpr size_t kCopyChunk = 1 << 20;

struct ArchiveReadFree {
    void operator()(archive* a) const { archive_read_free(a); }
};
using ReaderPtr = std::unique_ptr<archive, ArchiveReadFree>;

Error archive_error(archive* a, const std::string& what) {
    const char* msg = archive_error_string(a);
    return Error{archive_errno(a) > 0 ? archive_errno(a) : EIO,
                 fmt::format("{}: {}", what, msg ? msg : "unknown archive error")};
}

// Cleans an archive path into "a/b/c": empty and "." components dropped, a leading "/" taken as
// the archive root. ".." is refused outright: no legitimate image archive needs it.
Result<std::string> clean(std::string_view name) {
    std::string out;
    size_t start = 0;
    while (start <= name.size()) {
        size_t slash = name.find('/', start);
        std::string_view comp = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (comp == "..") return Error{EXDEV, fmt::format("archive entry \"{}\" leads outside the archive", name)};
        if (!comp.empty() && comp != ".") out += (out.empty() ? "" : "/") + std::string(comp);
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return out;
}

std::string parent_of(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? "" : path.substr(0, slash);
}

// Joins a relative symlink target to the link's directory, resolving ".." lexically; a target
// that is absolute or climbs above the archive root is refused.
Result<std::string> link_target(const std::string& link, std::string_view target) {
    if (target.empty() || target.front() == '/')
        return Error{EXDEV, fmt::format("archive entry \"{}\" is a symlink to \"{}\" outside the archive", link, target)};
    std::vector<std::string> parts;
    std::string base = parent_of(link);
    std::string joined = base.empty() ? std::string(target) : base + "/" + std::string(target);
    size_t start = 0;
    while (start <= joined.size()) {
        size_t slash = joined.find('/', start);
        std::string comp = joined.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (comp == "..") {
            if (parts.empty())
                return Error{EXDEV, fmt::format("archive entry \"{}\" is a symlink to \"{}\" outside the archive", link, target)};
            parts.pop_back();
        } else if (!comp.empty() && comp != ".") {
            parts.push_back(comp);
        }
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
    return out;
}

Status make_parents(const std::string& root, const std::string& path) {
    std::string parent = parent_of(path);
    if (parent.empty()) return sys::ok();
    return sys::make_dirs(root + "/" + parent, 0700);
}

}  // namespace

Result<ArchiveTree> ArchiveTree::extract(int fd, const std::string& parent) {
    if (auto made = sys::make_dirs(parent, 0700); !made) return made.error();
    std::string dir = parent + "/" + kDirPrefix + "XXXXXX";
    if (!::mkdtemp(dir.data())) return sys::errno_error("create temp dir in {}", parent);
    ArchiveTree tree(dir);
    tree.lock_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!tree.lock_ || ::flock(tree.lock_.get(), LOCK_EX) != 0) return sys::errno_error("lock {}", dir);
    ReaderPtr a(archive_read_new());
    archive_read_support_filter_all(a.get());
    archive_read_support_format_tar(a.get());
    archive_read_support_format_gnutar(a.get());
    if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK) return archive_error(a.get(), "read archive");
    archive_entry* entry = nullptr;
    while (true) {
        int r = archive_read_next_header(a.get(), &entry);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) return archive_error(a.get(), "read archive");
        if (auto added = tree.add_entry(a.get(), entry); !added) return added.error();
    }
    return tree;
}

ArchiveTree::ArchiveTree(ArchiveTree&& other) noexcept
    : dir_(std::exchange(other.dir_, std::string())), lock_(std::move(other.lock_)), links_(std::move(other.links_)) {}

ArchiveTree::~ArchiveTree() {
    if (!dir_.empty()) (void)sys::remove_tree(dir_);
}

Status ArchiveTree::add_entry(archive* a, archive_entry* entry) {
    const char* raw = archive_entry_pathname(entry);
    auto name = clean(raw ? raw : "");
    if (!name) return name.error();
    if (name.value().empty()) return sys::ok();  // "./"
    const std::string& path = name.value();
    // Entries below a recorded link would have different meanings on disk and in resolution.
    for (std::string p = parent_of(path); !p.empty(); p = parent_of(p))
        if (links_.count(p)) return Error{EXDEV, fmt::format("archive entry \"{}\" lies below the link \"{}\"", raw, p)};
    std::string disk = dir_ + "/" + path;
    if (const char* hardlink = archive_entry_hardlink(entry)) {
        auto target = clean(hardlink);
        if (!target) return target.error();
        (void)::unlink(disk.c_str());
        links_[path] = target.value();
        return sys::ok();
    }
    switch (archive_entry_filetype(entry)) {
        case AE_IFDIR:
            return sys::make_dirs(disk, 0700);
        case AE_IFLNK: {
            auto target = link_target(path, archive_entry_symlink(entry) ? archive_entry_symlink(entry) : "");
            if (!target) return target.error();
            (void)::unlink(disk.c_str());
            links_[path] = target.value();
            return sys::ok();
        }
        case AE_IFREG:
            break;
        default:
            return Error{EINVAL, fmt::format("archive entry \"{}\" is not a file, directory or link", raw)};
    }
    links_.erase(path);
    if (auto made = make_parents(dir_, path); !made) return made;
    UniqueFd out(::open(disk.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) return sys::errno_error("create {}", disk);
    std::vector<char> buf(kCopyChunk);
    while (true) {
        la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
        if (n == 0) break;
        if (n < 0) return archive_error(a, fmt::format("read archive entry \"{}\"", raw));
        for (la_ssize_t done = 0; done < n;) {
            ssize_t w = ::write(out.get(), buf.data() + done, static_cast<size_t>(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return sys::errno_error("write {}", disk);
            done += w;
        }
    }
    return sys::ok();
}

Result<std::string> ArchiveTree::resolve(const std::string& path) const {
    auto current = clean(path);
    if (!current) return current.error();
    std::string p = current.value();
    for (int hops = 0; hops <= kMaxLinkHops; ++hops) {
        // The longest prefix of p that is a link is replaced by its target.
        std::string prefix = p;
        bool replaced = false;
        while (!prefix.empty()) {
            auto link = links_.find(prefix);
            if (link != links_.end()) {
                p = link->second + p.substr(prefix.size());
                replaced = true;
                break;
            }
            prefix = parent_of(prefix);
        }
        if (!replaced) return p;
    }
    return Error{ELOOP, fmt::format("archive path \"{}\": too many levels of links", path)};
}

Result<std::string> ArchiveTree::file(const std::string& path) const {
    auto resolved = resolve(path);
    if (!resolved) return resolved.error();
    std::string disk = dir_ + "/" + resolved.value();
    struct stat st {};
    if (resolved.value().empty() || ::lstat(disk.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
        return Error{ENOENT, fmt::format("archive has no file \"{}\"", path)};
    return disk;
}

bool ArchiveTree::has_file(const std::string& path) const { return file(path).ok(); }

Result<std::string> ArchiveTree::read(const std::string& path, size_t max_size) const {
    auto disk = file(path);
    if (!disk) return disk.error();
    struct stat st {};
    if (::lstat(disk.value().c_str(), &st) != 0) return sys::errno_error("stat {}", disk.value());
    if (static_cast<size_t>(st.st_size) > max_size)
        return Error{EFBIG, fmt::format("archive file \"{}\" is too large ({} bytes, at most {} allowed)", path,
                                        st.st_size, max_size)};
    return sys::read_file(disk.value());
}

void remove_stale_archive_dirs(const std::string& parent, long min_age_s) {
    DIR* dir = ::opendir(parent.c_str());
    if (!dir) return;
    std::vector<std::string> stale;
    while (dirent* e = ::readdir(dir)) {
        std::string name = e->d_name;
        struct stat st {};
        if (name.rfind(kDirPrefix, 0) != 0 || ::fstatat(::dirfd(dir), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (::time(nullptr) - st.st_mtime >= min_age_s) stale.push_back(parent + "/" + name);
    }
    ::closedir(dir);
    for (const auto& path : stale) {
        UniqueFd held(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (held && ::flock(held.get(), LOCK_EX | LOCK_NB) == 0) (void)sys::remove_tree(path);
    }
}

}  // namespace engine::image
