#pragma once

// What `images`, `history` and `image inspect` show of the store, as data; the CLI only
// formats it.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/image/image_store.hpp"

namespace engine::image {

/// One row of `docker images`: an image under one of its tags (or <none>).
struct ListedImage {
    Image image;
    std::string repository;  ///< familiar name or "<none>"
    std::string tag;         ///< or "<none>"
    std::string digest;      ///< "sha256:…" from RepoDigests of the same repository, or "<none>"
};

struct ListOptions {
    std::vector<std::string> filters;  ///< reference=, dangling=, label=, before=, since=
    std::string reference;             ///< `docker images REPOSITORY[:TAG]`
};

/// The rows of `docker images` for `images` (newest first). Unknown or malformed filters are
/// errors ("invalid filter 'x'"); before=/since= name images looked up in `store`.
Result<std::vector<ListedImage>> list_images(const ImageStore& store, const ListOptions& options);

/// One row of `docker history`, newest first.
struct HistoryRow {
    std::string id;  ///< the image id on the top row, "<missing>" below it, as docker shows
    std::string created;
    std::string created_by;
    std::string comment;
    std::int64_t size = 0;
};

/// The history of `image`, each layer-creating entry paired with its layer's size.
std::vector<HistoryRow> image_history(const ImageStore& store, const Image& image);

/// `docker image inspect` of one image, in the Engine API's ImageInspect shape and key order.
nlohmann::ordered_json inspect_image(const Image& image);

}  // namespace engine::image
