#pragma once

// Hand-crafted (and hostile) layer tars written with libarchive, for the image tests.

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace image_test {

struct TarEntry {
    std::string name;
    unsigned type = AE_IFREG;  ///< AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFIFO
    std::string data;          ///< file content, or symlink target
    unsigned mode = 0644;
    std::string hardlink;      ///< when set, a hardlink to this path
    unsigned rdev_major = 0, rdev_minor = 0;
    long mtime = 1700000000;
    int uid = -1, gid = -1;  ///< -1: the caller's

    std::vector<std::pair<std::string, std::string>> xattrs;
};

inline TarEntry tar_file(std::string name, std::string data, unsigned mode = 0644) {
    return TarEntry{std::move(name), AE_IFREG, std::move(data), mode};
}
inline TarEntry tar_dir(std::string name, unsigned mode = 0755) { return TarEntry{std::move(name), AE_IFDIR, "", mode}; }
inline TarEntry tar_symlink(std::string name, std::string target) {
    return TarEntry{std::move(name), AE_IFLNK, std::move(target), 0777};
}
inline TarEntry tar_hardlink(std::string name, std::string target) {
    TarEntry e{std::move(name), AE_IFREG, "", 0644};
    e.hardlink = std::move(target);
    return e;
}

/// Writes `entries` as a tar (compressed with libarchive's `filter`) to `path`, owned by the caller's
/// uid/gid so that extracting needs no privilege.
inline void write_tar(const std::string& path, const std::vector<TarEntry>& entries,
                      int filter = ARCHIVE_FILTER_NONE) {
    archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter(a, filter);
    archive_write_open_filename(a, path.c_str());
    for (const auto& e : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, e.name.c_str());
        archive_entry_set_uid(entry, e.uid < 0 ? ::getuid() : static_cast<unsigned>(e.uid));
        archive_entry_set_gid(entry, e.gid < 0 ? ::getgid() : static_cast<unsigned>(e.gid));
        archive_entry_set_mtime(entry, e.mtime, 0);
        archive_entry_set_perm(entry, e.mode);
        for (const auto& [k, v] : e.xattrs) archive_entry_xattr_add_entry(entry, k.c_str(), v.data(), v.size());
        if (!e.hardlink.empty()) {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_hardlink(entry, e.hardlink.c_str());
            archive_entry_set_size(entry, 0);
        } else {
            archive_entry_set_filetype(entry, e.type);
            if (e.type == AE_IFLNK) archive_entry_set_symlink(entry, e.data.c_str());
            if (e.type == AE_IFCHR || e.type == AE_IFBLK) archive_entry_set_rdevmajor(entry, e.rdev_major), archive_entry_set_rdevminor(entry, e.rdev_minor);
            archive_entry_set_size(entry, e.type == AE_IFREG ? static_cast<la_int64_t>(e.data.size()) : 0);
        }
        archive_write_header(a, entry);
        if (e.type == AE_IFREG && e.hardlink.empty()) archive_write_data(a, e.data.data(), e.data.size());
        archive_entry_free(entry);
    }
    archive_write_close(a);
    archive_write_free(a);
}

}  // namespace image_test
