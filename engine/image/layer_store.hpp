#pragma once

// Unpacked layers, stored once per diff_id and shared by every image that has them:
//   <dir>/<hex>/diff        the layer's files, ready as an overlay lowerdir
//   <dir>/<hex>/layer.json  {"diff_id", "size"}
// A layer appears by one rename of a fully unpacked temp directory, so a half-applied layer is
// never visible, and it disappears by a rename away before its deletion.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/sys/result.hpp"

namespace engine::image {

struct LayerInfo {
    std::string diff_id;  ///< "sha256:…" of the uncompressed tar
    std::int64_t size = 0;
};

class LayerStore {
public:
    /// `dir` is <root>/image/layers (created if missing); leftovers of interrupted unpacks are
    /// removed.
    static Result<LayerStore> open(const std::string& dir);

    /// Unpacks the uncompressed tar `tar_path`, whose digest is `diff_id`, unless the layer is
    /// already stored. Returns true when it was unpacked now.
    Result<bool> ensure(const std::string& diff_id, const std::string& tar_path) const;
    bool has(const std::string& diff_id) const;
    Result<LayerInfo> info(const std::string& diff_id) const;
    /// The directory to use as an overlay lowerdir.
    std::string diff_dir(const std::string& diff_id) const;
    /// Deletes a layer; a missing one is not an error.
    Status remove(const std::string& diff_id) const;
    /// Deletes what crashed unpacks and deletions left behind: half-deleted layers, and temp
    /// dirs older than `min_age_s` (younger ones may belong to an unpack in progress elsewhere).
    Status remove_leftovers(long min_age_s) const;
    /// Every stored diff_id.
    std::vector<std::string> list() const;

private:
    explicit LayerStore(std::string dir) : dir_(std::move(dir)) {}
    std::string dir_;
};

}  // namespace engine::image
