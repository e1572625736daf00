#pragma once

// Content-addressed blobs: <dir>/<hex> where <hex> is the SHA-256 of the content. A blob only
// ever appears complete and verified (hashed while written to a temp file, fsync, rename), and
// every read checks the content against its name again.

#include <string>
#include <string_view>
#include <vector>

#include "engine/image/digest.hpp"
#include "engine/sys/result.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::image {

class BlobStore {
public:
    /// Streams one blob in; nothing is visible under the store until commit().
    class Writer {
    public:
        Writer(std::string dir, std::string temp_path, sys::UniqueFd fd);
        Writer(Writer&&) noexcept = default;
        ~Writer();
        /// Appends bytes (hashing them).
        Status write(const void* data, size_t size);
        /// fsyncs and renames the blob into place; fails if `expected` is given and differs.
        /// Returns the blob's digest.
        Result<std::string> commit(const std::string& expected = "");

    private:
        std::string dir_, temp_path_;
        sys::UniqueFd fd_;
        Sha256 hash_;
    };

    /// `dir` is created if missing (…/image/blobs/sha256).
    static Result<BlobStore> open(const std::string& dir);

    /// Starts a new blob.
    Result<Writer> writer() const;
    /// Stores `data`; returns its digest.
    Result<std::string> put(std::string_view data) const;
    /// Reads a whole blob, verifying its digest.
    Result<std::string> get(const std::string& digest) const;
    /// Re-hashes a stored blob without loading it in memory (for large layer tars).
    Status verify(const std::string& digest) const;
    bool has(const std::string& digest) const;
    /// Removes a blob; a missing blob is not an error.
    Status remove(const std::string& digest) const;
    /// Deletes temp files of writes older than `min_age_s` (a crash left them behind).
    Status remove_leftovers(long min_age_s) const;
    /// Every stored digest.
    std::vector<std::string> list() const;
    /// The file of a blob (digest syntax checked by the caller: see is_valid_digest).
    std::string path(const std::string& digest) const;

private:
    explicit BlobStore(std::string dir) : dir_(std::move(dir)) {}
    std::string dir_;
};

}  // namespace engine::image
