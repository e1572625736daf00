#pragma once

// An image archive (the outer tar of `docker save`) extracted into a private directory, for
// `load`. Hand-written because libarchive's own extraction would create the archive's symlinks
// on disk: here only directories and regular files are written (mode 0700/0600, under a fresh
// mkdtemp directory), names with ".." are refused, and symlinks and hard links are only recorded
// and resolved lexically inside the archive. A link leading out of the archive, a loop, or a
// device or fifo entry fails the extraction with the entry's name.

#include <map>
#include <string>

#include "engine/sys/result.hpp"
#include "engine/sys/unique_fd.hpp"

struct archive;
struct archive_entry;

namespace engine::image {

class ArchiveTree {
public:
    /// Extracts the (plain, gzip, xz or zstd) tar on `fd` into a new directory under `parent`.
    static Result<ArchiveTree> extract(int fd, const std::string& parent);

    ArchiveTree(ArchiveTree&& other) noexcept;
    ArchiveTree& operator=(ArchiveTree&&) = delete;
    /// Removes the directory.
    ~ArchiveTree();

    /// True when `path` names a regular file of the archive (through links).
    bool has_file(const std::string& path) const;
    /// The file on disk holding the archive's regular file `path` (through links).
    Result<std::string> file(const std::string& path) const;
    /// The whole content of `path`, refused when larger than `max_size`.
    Result<std::string> read(const std::string& path, size_t max_size) const;

    const std::string& dir() const { return dir_; }

private:
    explicit ArchiveTree(std::string dir) : dir_(std::move(dir)) {}
    Status add_entry(::archive* a, ::archive_entry* entry);
    Result<std::string> resolve(const std::string& path) const;

    std::string dir_;
    sys::UniqueFd lock_;  ///< flock'd while in use: a stale-dir sweep elsewhere skips it
    std::map<std::string, std::string> links_;  ///< link name → archive path it points to
};

/// Removes extraction dirs in `parent` older than `min_age_s` that no load holds (a crashed
/// load left them).
void remove_stale_archive_dirs(const std::string& parent, long min_age_s);

}  // namespace engine::image
