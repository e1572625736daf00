#pragma once

// The image store under <root>/image/:
//   blobs/sha256/<hex>   configs, manifests and uncompressed layer tars, by digest
//   layers/<hex>/diff    unpacked layers by diff_id, shared between images
//   index.json           image ids → manifest digests, names → manifest digests
//   lock                 flock'd for every change
// An image's id is the digest of its config, as Docker's.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/image/blob_store.hpp"
#include "engine/image/image_index.hpp"
#include "engine/image/layer_store.hpp"
#include "engine/image/reference.hpp"
#include "engine/sys/result.hpp"

namespace engine::image {

struct Image {
    std::string id;                         ///< "sha256:<config digest>"
    std::vector<std::string> repo_tags;     ///< familiar "busybox:latest"
    std::vector<std::string> repo_digests;  ///< familiar "busybox@sha256:…"
    nlohmann::json config;                  ///< the whole OCI image config
    std::vector<std::string> layer_dirs;    ///< unpacked layers, top-most first
    std::int64_t size = 0;                  ///< sum of the layers' sizes
    std::string manifest_digest;
};

class ImageStore {
public:
    /// Opens (creating if needed) the store of the state root `root`.
    static Result<ImageStore> open(const std::string& root);

    /// An image by name ("busybox", "busybox:1"), full id, or unique id prefix.
    /// Missing: "No such image: <ref>" (errno ENOENT), as docker says it.
    Result<Image> get(const std::string& ref_or_id) const;
    /// The id `ref_or_id` names (same rules as get).
    Result<std::string> resolve(const std::string& ref_or_id) const;
    /// Every image, newest first.
    Result<std::vector<Image>> list() const;

    /// Registers an image whose layers (config.rootfs.diff_ids) are already stored: writes its
    /// config and manifest blobs. The caller holds the lock. Returns the image id.
    Result<std::string> add_image(const IndexLock& held, const nlohmann::json& config) const;
    /// Same, keeping the config's exact bytes (a loaded image keeps the id it was saved with).
    Result<std::string> add_image_bytes(const IndexLock& held, const std::string& config_text) const;
    /// Points `ref` (normalised) at image `id`, moving it off any other image.
    Status tag(const std::string& id, const Reference& ref) const;
    /// Removes the name `ref`; returns the id it named.
    Result<std::string> untag(const Reference& ref) const;
    /// Forgets image `id` and every name pointing at it, then deletes content nothing uses.
    Status remove_image(const std::string& id) const;
    /// Deletes blobs and layers no image refers to. The caller holds the lock.
    Status collect_garbage(const IndexLock& held) const;

    const BlobStore& blobs() const { return blobs_; }
    const LayerStore& layers() const { return layers_; }
    const ImageIndex& index() const { return index_; }

private:
    ImageStore(BlobStore blobs, LayerStore layers, ImageIndex index)
        : blobs_(std::move(blobs)), layers_(std::move(layers)), index_(std::move(index)) {}
    Result<Image> load(const IndexData& data, const std::string& id) const;
    Result<std::string> resolve_in(const IndexData& data, const std::string& ref_or_id) const;

    BlobStore blobs_;
    LayerStore layers_;
    ImageIndex index_;
};

}  // namespace engine::image
