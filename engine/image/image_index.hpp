#pragma once

// The index of the image store (<root>/image/index.json): which images exist and which names
// point at them. Read lock-free (it is replaced atomically); every change is a read-modify-write
// under an exclusive flock, so two berth processes never lose each other's update.

#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/sys/result.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::image {

struct IndexData {
    /// image id ("sha256:<config digest>") → manifest digest
    std::map<std::string, std::string> images;
    /// full reference ("docker.io/library/busybox:latest" or "…@sha256:…") → manifest digest
    std::map<std::string, std::string> names;
};

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(IndexData, images, names)

/// Proof that the caller holds the store's exclusive lock (released on destruction).
class IndexLock {
public:
    explicit IndexLock(sys::UniqueFd fd) : fd_(std::move(fd)) {}

private:
    sys::UniqueFd fd_;
};

class ImageIndex {
public:
    /// `dir` is <root>/image (created if missing).
    static Result<ImageIndex> open(const std::string& dir);

    /// Blocks until this process holds the exclusive lock. Not re-entrant: hold one at a time.
    Result<IndexLock> lock() const;
    /// The current index (empty when none was written yet).
    Result<IndexData> read() const;
    /// Replaces the index atomically and durably; the caller holds the lock.
    Status write(const IndexLock& held, const IndexData& data) const;
    /// lock + read + change + write; nothing is written when `change` fails.
    Status update(const std::function<Status(IndexData&)>& change) const;

private:
    explicit ImageIndex(std::string dir) : dir_(std::move(dir)) {}
    std::string dir_;
};

}  // namespace engine::image
