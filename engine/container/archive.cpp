#include "engine/container/archive.hpp"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace engine::container {
namespace {

using ReadPtr = std::unique_ptr<archive, decltype(&archive_read_free)>;
using WritePtr = std::unique_ptr<archive, decltype(&archive_write_free)>;

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

}  // namespace

Status write_tar(int fd, const std::string& src, const std::string& name) {
    ReadPtr disk(archive_read_disk_new(), archive_read_free);
    WritePtr out(archive_write_new(), archive_write_free);
    // No user/group name lookups: inside a container they would load the container's NSS
    // modules into this process (CVE-2019-14271). Numeric ids only.
    archive_read_disk_set_symlink_physical(disk.get());
    archive_write_set_format_pax_restricted(out.get());
    if (archive_write_open_fd(out.get(), fd) != ARCHIVE_OK) return archive_error(out.get(), "write tar");
    if (archive_read_disk_open(disk.get(), src.c_str()) != ARCHIVE_OK)
        return archive_error(disk.get(), "read " + src);
    for (;;) {
        std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                           archive_entry_free);
        int r = archive_read_next_header2(disk.get(), entry.get());
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_error(disk.get(), "read " + src);
        archive_read_disk_descend(disk.get());
        std::string entry_name = renamed(archive_entry_pathname(entry.get()), src, name);
        if (entry_name.empty()) continue;  // the directory itself, when only its contents go
        archive_entry_set_pathname(entry.get(), entry_name.c_str());
        if (archive_write_header(out.get(), entry.get()) != ARCHIVE_OK)
            return archive_error(out.get(), "write tar entry " + entry_name);
        if (archive_entry_size(entry.get()) > 0)
            if (auto s = copy_data(disk.get(), out.get()); !s) return std::move(s).context(entry_name);
    }
    if (archive_write_close(out.get()) != ARCHIVE_OK) return archive_error(out.get(), "finish tar");
    return sys::ok();
}

Status extract_tar(int fd, const std::string& dir, bool same_owner) {
    ReadPtr in(archive_read_new(), archive_read_free);
    WritePtr disk(archive_write_disk_new(), archive_write_free);
    archive_read_support_format_tar(in.get());
    archive_read_support_format_gnutar(in.get());
    archive_read_support_filter_all(in.get());
    int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
                ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS | ARCHIVE_EXTRACT_UNLINK;
    if (same_owner) flags |= ARCHIVE_EXTRACT_OWNER;
    archive_write_disk_set_options(disk.get(), flags);
    if (archive_read_open_fd(in.get(), fd, 64 * 1024) != ARCHIVE_OK) return archive_error(in.get(), "read tar");
    for (;;) {
        archive_entry* entry = nullptr;
        int r = archive_read_next_header(in.get(), &entry);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return archive_error(in.get(), "read tar");
        std::string name = archive_entry_pathname(entry);
        archive_entry_set_pathname(entry, (dir + "/" + name).c_str());
        if (const char* link = archive_entry_hardlink(entry))
            archive_entry_set_hardlink(entry, (dir + "/" + link).c_str());
        if (archive_write_header(disk.get(), entry) != ARCHIVE_OK)
            return archive_error(disk.get(), "extract " + name);
        if (archive_entry_size(entry) > 0)
            if (auto s = copy_data(in.get(), disk.get()); !s) return std::move(s).context(name);
        if (archive_write_finish_entry(disk.get()) != ARCHIVE_OK)
            return archive_error(disk.get(), "extract " + name);
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

}  // namespace engine::container
