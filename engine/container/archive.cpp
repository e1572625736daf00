#include "engine/container/archive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <sys/stat.h>

#include <cstring>
#include <functional>
#include <memory>
#include <vector>

namespace engine::container {
namespace {

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;
using EntryPtr = std::unique_ptr<archive_entry, decltype(&archive_entry_free)>;

Error archive_error(archive* a, const std::string& what) {
    const char* message = archive_error_string(a);
    return Error{archive_errno(a), what + ": " + (message ? message : "unknown archive error")};
}

std::string base_name(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string parent_of(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    auto slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

bool ends_with_dot(const std::string& path) {
    return path == "." || (path.size() >= 2 && path.compare(path.size() - 2, 2, "/.") == 0);
}

// The entry's name in the archive: `src`'s own path with `src` replaced by `name`.
std::string renamed(const std::string& path, const std::string& src, const std::string& name) {
    std::string rest = path.size() > src.size() ? path.substr(src.size()) : "";
    while (!rest.empty() && rest[0] == '/') rest.erase(0, 1);
    if (name.empty()) return rest;
    return rest.empty() ? name : name + "/" + rest;
}

// Into a disk writer, blocks keep their offsets (sparse files stay sparse).
Status copy_data(archive* in, archive* out) {
    const void* block;
    size_t size;
    la_int64_t offset;
    for (;;) {
        int r = archive_read_data_block(in, &block, &size, &offset);
        if (r == ARCHIVE_EOF) return sys::ok();
        if (r != ARCHIVE_OK) return archive_error(in, "read");
        if (archive_write_data_block(out, block, size, offset) != ARCHIVE_OK)
            return archive_error(out, "write");
    }
}

// A tar writer takes the data as a stream.
Status stream_data(archive* in, archive* out) {
    char buf[64 * 1024];
    for (;;) {
        la_ssize_t n = archive_read_data(in, buf, sizeof buf);
        if (n == 0) return sys::ok();
        if (n < 0) return archive_error(in, "read");
        if (archive_write_data(out, buf, static_cast<size_t>(n)) != n) return archive_error(out, "write");
    }
}

bool is_whiteout(archive_entry* e) {
    return archive_entry_filetype(e) == AE_IFCHR && archive_entry_rdevmajor(e) == 0 &&
           archive_entry_rdevminor(e) == 0;
}

// Drops overlay's own xattrs from the entry; true when the directory was opaque.
bool strip_overlay_xattrs(archive_entry* e) {
    struct Xattr {
        std::string name;
        std::string value;
    };
    std::vector<Xattr> kept;
    bool opaque = false;
    archive_entry_xattr_reset(e);
    const char* name;
    const void* value;
    size_t size;
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        std::string text(static_cast<const char*>(value), size);
        if (std::strncmp(name, "trusted.overlay.", 16) == 0) {
            opaque = opaque || (std::strcmp(name, "trusted.overlay.opaque") == 0 && text == "y");
            continue;
        }
        kept.push_back({name, text});
    }
    archive_entry_xattr_clear(e);
    for (const auto& x : kept) archive_entry_xattr_add_entry(e, x.name.c_str(), x.value.data(), x.value.size());
    return opaque;
}

// An empty regular file entry standing for a whiteout marker.
Status write_marker(archive* out, const std::string& path, archive_entry* like) {
    EntryPtr marker(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(marker.get(), path.c_str());
    archive_entry_set_filetype(marker.get(), AE_IFREG);
    archive_entry_set_perm(marker.get(), 0644);
    archive_entry_set_size(marker.get(), 0);
    archive_entry_set_mtime(marker.get(), archive_entry_mtime(like), 0);
    if (archive_write_header(out, marker.get()) != ARCHIVE_OK) return archive_error(out, "write " + path);
    return sys::ok();
}

std::string relative(const char* path, const std::string& root) {
    std::string p = path;
    p = p.size() > root.size() ? p.substr(root.size()) : "";
    while (!p.empty() && p[0] == '/') p.erase(0, 1);
    return p;
}

Status write_entry(archive* disk, archive* out, archive_entry* e, const std::string& name) {
    if (is_whiteout(e)) {
        auto slash = name.find_last_of('/');
        std::string dir = slash == std::string::npos ? "" : name.substr(0, slash + 1);
        std::string base = slash == std::string::npos ? name : name.substr(slash + 1);
        return write_marker(out, dir + ".wh." + base, e);
    }
    bool opaque = strip_overlay_xattrs(e);
    archive_entry_set_pathname(e, name.c_str());
    if (archive_write_header(out, e) != ARCHIVE_OK) return archive_error(out, "write " + name);
    if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0)
        if (auto s = stream_data(disk, out); !s) return s;
    if (opaque) return write_marker(out, name + "/.wh..wh..opq", e);
    return sys::ok();
}

// An entry's name relative to the extraction directory: a leading "/" is dropped (as docker and
// GNU tar do), and ".." anywhere is refused.
Result<std::string> entry_name(const char* raw) {
    std::string name = raw ? raw : "";
    while (!name.empty() && name[0] == '/') name.erase(0, 1);
    std::string rest = "/" + name + "/";
    if (rest.find("/../") != std::string::npos)
        return Error{EINVAL, fmt::format("refusing tar entry \"{}\": it leaves the destination", raw)};
    return name;
}

// Tars as Docker writes them: xattrs only in the SCHILY records every tar reader knows.
Result<WritePtr> open_tar_writer(int fd) {
    WritePtr out(archive_write_new(), archive_write_free);
    archive_write_set_format_pax_restricted(out.get());
    archive_write_set_options(out.get(), "xattrheader=SCHILY");
    if (archive_write_open_fd(out.get(), fd) != ARCHIVE_OK) return archive_error(out.get(), "write tar");
    return out;
}

// Walks `root` (never following symlinks) into a tar on `fd`; `emit` writes each entry.
// No user/group name lookups: inside a container they would load the container's NSS modules
// into this process (CVE-2019-14271). Numeric ids only.
Status tar_tree(int fd, const std::string& root,
                const std::function<Status(archive* disk, archive* out, archive_entry* entry)>& emit) {
    ReadPtr disk(archive_read_disk_new(), archive_read_free);
    auto writer = open_tar_writer(fd);
    if (!writer) return writer.error();
    WritePtr out = std::move(writer.value());
    archive_read_disk_set_symlink_physical(disk.get());
    if (archive_read_disk_open(disk.get(), root.c_str()) != ARCHIVE_OK)
        return archive_error(disk.get(), "read " + root);
    for (;;) {
        EntryPtr entry(archive_entry_new(), archive_entry_free);
        int r = archive_read_next_header2(disk.get(), entry.get());
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_error(disk.get(), "read " + root);
        archive_read_disk_descend(disk.get());
        if (auto s = emit(disk.get(), out.get(), entry.get()); !s) return s;
    }
    if (archive_write_close(out.get()) != ARCHIVE_OK) return archive_error(out.get(), "finish tar");
    return sys::ok();
}

}  // namespace

Status write_tar(int fd, const std::string& src, const std::string& name) {
    return tar_tree(fd, src, [&](archive* disk, archive* out, archive_entry* entry) {
        std::string entry_name = renamed(archive_entry_pathname(entry), src, name);
        if (entry_name.empty()) return sys::ok();  // the directory itself, when only its contents go
        archive_entry_set_pathname(entry, entry_name.c_str());
        if (archive_write_header(out, entry) != ARCHIVE_OK)
            return Status(archive_error(out, "write tar entry " + entry_name));
        if (archive_entry_size(entry) > 0)
            if (auto s = stream_data(disk, out); !s) return std::move(s).context(entry_name);
        return sys::ok();
    });
}

Status extract_tar(int fd, const std::string& dir, bool same_owner) {
    ReadPtr in(archive_read_new(), archive_read_free);
    WritePtr disk(archive_write_disk_new(), archive_write_free);
    archive_read_support_format_tar(in.get());
    archive_read_support_format_gnutar(in.get());
    archive_read_support_filter_all(in.get());
    // Names are checked and placed under `dir` here; libarchive refuses writes through symlinks.
    int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
                ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_UNLINK;
    if (same_owner) flags |= ARCHIVE_EXTRACT_OWNER;
    archive_write_disk_set_options(disk.get(), flags);
    if (archive_read_open_fd(in.get(), fd, 64 * 1024) != ARCHIVE_OK) return archive_error(in.get(), "read tar");
    for (;;) {
        archive_entry* entry = nullptr;
        int r = archive_read_next_header(in.get(), &entry);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_error(in.get(), "read tar");
        auto name = entry_name(archive_entry_pathname(entry));
        if (!name) return name.error();
        archive_entry_set_pathname(entry, (dir + "/" + name.value()).c_str());
        if (const char* link = archive_entry_hardlink(entry)) {
            auto target = entry_name(link);
            if (!target) return target.error();
            archive_entry_set_hardlink(entry, (dir + "/" + target.value()).c_str());
        }
        if (archive_write_header(disk.get(), entry) != ARCHIVE_OK)
            return archive_error(disk.get(), "extract " + name.value());
        if (archive_entry_size(entry) > 0)
            if (auto s = copy_data(in.get(), disk.get()); !s) return std::move(s).context(name.value());
        if (archive_write_finish_entry(disk.get()) != ARCHIVE_OK)
            return archive_error(disk.get(), "extract " + name.value());
    }
    if (archive_write_close(disk.get()) != ARCHIVE_OK) return archive_error(disk.get(), "finish extraction");
    return sys::ok();
}

Result<CopyPlan> plan_copy(const CopyEnds& e) {
    bool contents_only = ends_with_dot(e.src);
    if (e.dest_exists && !e.dest_is_dir && e.src_is_dir)
        return Error{ENOTDIR, "cannot copy a directory to a file"};
    if (!e.dest_exists && !e.dest.empty() && e.dest.back() == '/' && !e.src_is_dir)
        return Error{ENOENT, fmt::format("destination directory \"{}\" does not exist", e.dest)};
    if (e.dest_exists && e.dest_is_dir)
        return CopyPlan{e.dest, contents_only ? "" : base_name(e.src)};
    if (e.dest_exists) return CopyPlan{parent_of(e.dest), base_name(e.dest)};
    // A new path: the copy takes its name; a directory's contents go into a new directory.
    return CopyPlan{parent_of(e.dest), base_name(e.dest)};
}

Status write_layer_tar(int fd, const std::string& upper_dir) {
    return tar_tree(fd, upper_dir, [&](archive* disk, archive* out, archive_entry* entry) {
        std::string name = relative(archive_entry_pathname(entry), upper_dir);
        return name.empty() ? sys::ok() : write_entry(disk, out, entry, name);
    });
}

}  // namespace engine::container
