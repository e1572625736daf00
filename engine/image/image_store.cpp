#include "engine/image/image_store.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <set>

namespace engine::image {
namespace {

using nlohmann::json;

constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kConfigType = "application/vnd.oci.image.config.v1+json";
constexpr const char* kLayerType = "application/vnd.oci.image.layer.v1.tar";

Result<json> parse_blob(const BlobStore& blobs, const std::string& digest) {
    auto text = blobs.get(digest);
    if (!text) return text.error();
    auto doc = json::parse(text.value(), nullptr, false);
    if (!doc.is_object()) return Error{EIO, fmt::format("blob {} is not a JSON object", digest)};
    return doc;
}

std::vector<std::string> diff_ids_of(const json& config) {
    std::vector<std::string> out;
    const json rootfs = config.value("rootfs", json::object());
    for (const auto& d : rootfs.value("diff_ids", json::array()))
        if (d.is_string()) out.push_back(d.get<std::string>());
    return out;
}

Error in_context(Error e, const std::string& what) {
    e.message = what + ": " + e.message;
    return e;
}

Error no_such_image(const std::string& ref) {
    return Error{ENOENT, fmt::format("No such image: {}", ref)};
}

std::string id_of_manifest(const IndexData& data, const std::string& manifest) {
    for (const auto& [id, m] : data.images)
        if (m == manifest) return id;
    return "";
}

}  // namespace

Result<ImageStore> ImageStore::open(const std::string& root) {
    std::string dir = root + "/image";
    auto index = ImageIndex::open(dir);
    if (!index) return index.error();
    auto blobs = BlobStore::open(dir + "/blobs/sha256");
    if (!blobs) return blobs.error();
    auto layers = LayerStore::open(dir + "/layers");
    if (!layers) return layers.error();
    return ImageStore(std::move(blobs.value()), std::move(layers.value()), std::move(index.value()));
}

Result<std::string> ImageStore::resolve_in(const IndexData& data, const std::string& text) const {
    std::string hex = text.rfind("sha256:", 0) == 0 ? text.substr(7) : text;
    if (hex.size() == 64 && data.images.count("sha256:" + hex)) return "sha256:" + hex;
    auto ref = parse_reference(text);
    if (ref) {
        auto name = data.names.find(ref.value().full());
        if (name != data.names.end()) {
            if (std::string id = id_of_manifest(data, name->second); !id.empty()) return id;
        }
    }
    // Docker falls back to an id prefix; a prefix two images share names neither.
    if (is_hex_prefix(hex)) {
        std::string found;
        for (const auto& [id, m] : data.images) {
            if (id.compare(7, hex.size(), hex) != 0) continue;
            if (!found.empty()) return Error{EINVAL, fmt::format("image id prefix \"{}\" is ambiguous", text)};
            found = id;
        }
        if (!found.empty()) return found;
    }
    return no_such_image(ref && text.rfind("sha256:", 0) != 0 ? ref.value().familiar() : text);
}

Result<std::string> ImageStore::resolve(const std::string& ref_or_id) const {
    auto data = index_.read();
    if (!data) return data.error();
    return resolve_in(data.value(), ref_or_id);
}

Result<Image> ImageStore::load(const IndexData& data, const std::string& id) const {
    Image image;
    image.id = id;
    image.manifest_digest = data.images.at(id);
    auto manifest = parse_blob(blobs_, image.manifest_digest);
    if (!manifest) return in_context(manifest.error(), fmt::format("image {}", id));
    std::string config_digest = manifest.value().value("config", json::object()).value("digest", "");
    if (config_digest != id) return Error{EIO, fmt::format("image {}: manifest names config {}", id, config_digest)};
    auto config = parse_blob(blobs_, config_digest);
    if (!config) return config.error();
    image.config = std::move(config.value());
    for (const auto& diff_id : diff_ids_of(image.config)) {
        auto info = layers_.info(diff_id);
        if (!info) return Error{EIO, fmt::format("image {}: layer {} is missing", id, diff_id)};
        image.size += info.value().size;
        image.layer_dirs.insert(image.layer_dirs.begin(), layers_.diff_dir(diff_id));
    }
    for (const auto& [name, manifest_digest] : data.names) {
        if (manifest_digest != image.manifest_digest) continue;
        auto ref = parse_reference(name);
        if (!ref) continue;
        (ref.value().digest.empty() ? image.repo_tags : image.repo_digests).push_back(ref.value().familiar());
    }
    return image;
}

Result<Image> ImageStore::get(const std::string& ref_or_id) const {
    auto data = index_.read();
    if (!data) return data.error();
    auto id = resolve_in(data.value(), ref_or_id);
    if (!id) return id.error();
    return load(data.value(), id.value());
}

Result<std::vector<Image>> ImageStore::list() const {
    auto data = index_.read();
    if (!data) return data.error();
    std::vector<Image> images;
    for (const auto& [id, manifest] : data.value().images) {
        auto image = load(data.value(), id);
        if (!image) return image.error();
        images.push_back(std::move(image.value()));
    }
    std::stable_sort(images.begin(), images.end(), [](const Image& a, const Image& b) {
        return a.config.value("created", "") > b.config.value("created", "");
    });
    return images;
}

Result<std::string> ImageStore::add_image(const IndexLock& held, const json& config) const {
    return add_image_bytes(held, config.dump());
}

Result<std::string> ImageStore::add_image_bytes(const IndexLock& held, const std::string& config_text) const {
    json config = json::parse(config_text, nullptr, false);
    if (!config.is_object()) return Error{EINVAL, "image config is not a JSON object"};
    json manifest = {{"schemaVersion", 2}, {"mediaType", kManifestType}, {"layers", json::array()}};
    for (const auto& diff_id : diff_ids_of(config)) {
        struct stat st {};
        if (!layers_.has(diff_id) || ::stat(blobs_.path(diff_id).c_str(), &st) != 0)
            return Error{ENOENT, fmt::format("layer {} is not in the store", diff_id)};
        manifest["layers"].push_back({{"mediaType", kLayerType}, {"digest", diff_id}, {"size", st.st_size}});
    }
    auto id = blobs_.put(config_text);
    if (!id) return id.error();
    manifest["config"] = {{"mediaType", kConfigType}, {"digest", id.value()}, {"size", config_text.size()}};
    auto manifest_digest = blobs_.put(manifest.dump());
    if (!manifest_digest) return manifest_digest.error();
    auto data = index_.read();
    if (!data) return data.error();
    data.value().images[id.value()] = manifest_digest.value();
    if (auto w = index_.write(held, data.value()); !w) return w.error();
    return id;
}

Status ImageStore::tag(const std::string& id, const Reference& ref) const {
    return index_.update([&](IndexData& data) -> Status {
        auto image = data.images.find(id);
        if (image == data.images.end()) return no_such_image(id);
        data.names[ref.full()] = image->second;
        return sys::ok();
    });
}

Result<std::string> ImageStore::untag(const Reference& ref) const {
    std::string id;
    auto updated = index_.update([&](IndexData& data) -> Status {
        auto name = data.names.find(ref.full());
        if (name == data.names.end()) return no_such_image(ref.familiar());
        id = id_of_manifest(data, name->second);
        data.names.erase(name);
        return sys::ok();
    });
    if (!updated) return updated.error();
    return id;
}

Status ImageStore::remove_image(const std::string& id) const {
    auto held = index_.lock();
    if (!held) return held.error();
    auto data = index_.read();
    if (!data) return data.error();
    auto& d = data.value();
    auto image = d.images.find(id);
    if (image == d.images.end()) return no_such_image(id);
    std::string manifest = image->second;
    d.images.erase(image);
    for (auto it = d.names.begin(); it != d.names.end();)
        it = it->second == manifest ? d.names.erase(it) : std::next(it);
    if (auto w = index_.write(held.value(), d); !w) return w;
    return collect_garbage(held.value());
}

Status ImageStore::collect_garbage(const IndexLock&) const {
    auto data = index_.read();
    if (!data) return data.error();
    std::set<std::string> blobs, layers;
    // Any image that cannot be read stops the collection: what it refers to is unknown.
    for (const auto& [id, manifest_digest] : data.value().images) {
        auto manifest = parse_blob(blobs_, manifest_digest);
        if (!manifest) return in_context(manifest.error(), "collect unused image content");
        blobs.insert({manifest_digest, id});
        for (const auto& layer : manifest.value().value("layers", json::array()))
            blobs.insert(layer.value("digest", ""));
        auto config = parse_blob(blobs_, id);
        if (!config) return in_context(config.error(), "collect unused image content");
        for (const auto& diff_id : diff_ids_of(config.value())) layers.insert(diff_id);
    }
    for (const auto& digest : blobs_.list())
        if (!blobs.count(digest))
            if (auto removed = blobs_.remove(digest); !removed) return removed;
    for (const auto& diff_id : layers_.list())
        if (!layers.count(diff_id))
            if (auto removed = layers_.remove(diff_id); !removed) return removed;
    // Every writer of this store holds the lock, so a temp entry seen now is a crash's leftover;
    // the hour of grace covers writers that might not (save/load streaming into the store).
    constexpr long kLeftoverAge = 3600;
    if (auto removed = layers_.remove_leftovers(kLeftoverAge); !removed) return removed;
    return blobs_.remove_leftovers(kLeftoverAge);
}

}  // namespace engine::image
