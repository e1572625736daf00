#include "engine/image/load.hpp"

#include <fcntl.h>

#include <set>

#include "engine/image/archive_tree.hpp"
#include "engine/image/import.hpp"
#include "engine/image/layer_extract.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::image {
namespace {

using nlohmann::json;

// Bounds every JSON document read from an archive: real ones are a few KiB.
constexpr size_t kMaxJsonSize = 16 << 20;
constexpr int kMaxIndexDepth = 4;
constexpr long kStaleAge = 3600;
constexpr size_t kHashChunk = 1 << 20;

const std::set<std::string> kManifestTypes = {"application/vnd.oci.image.manifest.v1+json",
                                              "application/vnd.docker.distribution.manifest.v2+json"};
const std::set<std::string> kIndexTypes = {"application/vnd.oci.image.index.v1+json",
                                           "application/vnd.docker.distribution.manifest.list.v2+json"};
constexpr const char* kImageNameAnnotation = "io.containerd.image.name";
constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";

Error invalid(const std::string& what) { return Error{EINVAL, what}; }

Result<json> parse_object(const std::string& text, const std::string& what) {
    json doc = json::parse(text, nullptr, false);
    if (!doc.is_object()) return invalid(fmt::format("invalid {}: not a JSON object", what));
    return doc;
}

std::string string_at(const json& doc, const char* key) {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
}

std::string blob_path(const std::string& digest) { return "blobs/sha256/" + digest_hex(digest); }

Result<std::string> checked_digest(const json& descriptor, const std::string& what) {
    std::string digest = string_at(descriptor, "digest");
    if (!is_valid_digest(digest))
        return invalid(fmt::format("{} has an invalid or unsupported digest \"{}\"", what, digest));
    return digest;
}

// Reads a JSON blob named by a descriptor and checks it against the descriptor's digest and size.
Result<json> read_blob_json(const ReadArchiveFile& read, const json& descriptor, const std::string& what) {
    auto digest = checked_digest(descriptor, what);
    if (!digest) return digest.error();
    auto text = read(blob_path(digest.value()));
    if (!text) return std::move(text).context(what).error();
    if (sha256_digest(text.value()) != digest.value())
        return invalid(fmt::format("{} {}: content does not match its digest", what, digest.value()));
    if (descriptor.contains("size") && descriptor["size"] != text.value().size())
        return invalid(fmt::format("{} {}: size does not match its descriptor", what, digest.value()));
    return parse_object(text.value(), what + " " + digest.value());
}

bool platform_matches(const json& descriptor, const LoadOptions& options) {
    const json platform = descriptor.value("platform", json::object());
    if (!platform.is_object()) return false;
    std::string arch = options.architecture.empty() ? host_architecture() : options.architecture;
    return platform.value("os", "") == options.os && platform.value("architecture", "") == arch;
}

// The image's names from its index descriptor: containerd's full name, else an OCI ref.name that
// is a whole reference. A bare tag ("latest", as skopeo writes) names no repository, so no image.
std::vector<std::string> names_of(const json& descriptor) {
    const json annotations = descriptor.value("annotations", json::object());
    if (!annotations.is_object()) return {};
    std::string full = string_at(annotations, kImageNameAnnotation);
    if (!full.empty()) return {full};
    std::string ref = string_at(annotations, kRefNameAnnotation);
    if (ref.find_first_of(":/@") != std::string::npos) return {ref};
    return {};
}

Result<ArchiveImage> image_from_manifest(const json& manifest, const std::string& manifest_digest) {
    std::string what = "manifest " + manifest_digest;
    const json config = manifest.value("config", json::object());
    const json layers = manifest.value("layers", json::array());
    if (!config.is_object() || !layers.is_array()) return invalid(what + ": config or layers missing");
    ArchiveImage image;
    auto config_digest = checked_digest(config, what + " config");
    if (!config_digest) return config_digest.error();
    image.config_digest = config_digest.value();
    image.config_path = blob_path(image.config_digest);
    for (const auto& layer : layers) {
        if (!layer.is_object()) return invalid(what + ": a layer is not an object");
        auto digest = checked_digest(layer, what + " layer");
        if (!digest) return digest.error();
        image.layer_digests.push_back(digest.value());
        image.layer_paths.push_back(blob_path(digest.value()));
    }
    return image;
}

// Follows one index descriptor down to an image manifest.
Result<ArchiveImage> follow_descriptor(const ReadArchiveFile& read, const json& descriptor,
                                       const LoadOptions& options, int depth) {
    if (depth > kMaxIndexDepth) return invalid("image indexes are nested too deeply");
    auto doc = read_blob_json(read, descriptor, "manifest");
    if (!doc) return doc.error();
    std::string digest = string_at(descriptor, "digest");
    std::string type = string_at(descriptor, "mediaType");
    if (type.empty()) type = string_at(doc.value(), "mediaType");
    bool is_index = kIndexTypes.count(type) || (type.empty() && doc.value().contains("manifests"));
    if (!is_index) return image_from_manifest(doc.value(), digest);
    const json manifests = doc.value().value("manifests", json::array());
    if (!manifests.is_array()) return invalid(fmt::format("index {}: manifests is not a list", digest));
    for (const auto& child : manifests)
        if (child.is_object() && platform_matches(child, options))
            return follow_descriptor(read, child, options, depth + 1);
    std::string arch = options.architecture.empty() ? host_architecture() : options.architecture;
    return Error{ENOENT, fmt::format("index {} has no image for {}/{}", digest, options.os, arch)};
}

}  // namespace

Result<std::vector<ArchiveImage>> parse_docker_manifest(const std::string& manifest_json) {
    json doc = json::parse(manifest_json, nullptr, false);
    if (!doc.is_array()) return invalid("invalid manifest.json: not a JSON list");
    std::vector<ArchiveImage> images;
    for (const auto& item : doc) {
        if (!item.is_object()) return invalid("invalid manifest.json: an item is not an object");
        ArchiveImage image;
        image.config_path = string_at(item, "Config");
        if (image.config_path.empty()) return invalid("invalid manifest.json: an item has no Config");
        const json tags = item.value("RepoTags", json());
        const json layers = item.value("Layers", json());
        if (!(tags.is_null() || tags.is_array()) || !layers.is_array())
            return invalid(fmt::format("invalid manifest.json: item {}: RepoTags or Layers is not a list", image.config_path));
        for (const auto& tag : tags) {
            if (!tag.is_string()) return invalid("invalid manifest.json: a RepoTag is not a string");
            image.names.push_back(tag.get<std::string>());
        }
        for (const auto& layer : layers) {
            if (!layer.is_string()) return invalid("invalid manifest.json: a layer path is not a string");
            image.layer_paths.push_back(layer.get<std::string>());
            image.layer_digests.emplace_back();
        }
        images.push_back(std::move(image));
    }
    return images;
}

Result<std::vector<ArchiveImage>> parse_oci_layout(const ReadArchiveFile& read, const LoadOptions& options) {
    auto text = read("index.json");
    if (!text) return text.error();
    auto index = parse_object(text.value(), "index.json");
    if (!index) return index.error();
    const json manifests = index.value().value("manifests", json::array());
    if (!manifests.is_array()) return invalid("invalid index.json: manifests is not a list");
    std::vector<ArchiveImage> images;
    // Docker writes one descriptor per name of the same manifest: they become one image.
    std::map<std::string, size_t> by_manifest;
    for (const auto& descriptor : manifests) {
        if (!descriptor.is_object()) return invalid("invalid index.json: a manifest is not an object");
        std::string digest = string_at(descriptor, "digest");
        auto seen = by_manifest.find(digest);
        if (seen == by_manifest.end()) {
            auto image = follow_descriptor(read, descriptor, options, 0);
            if (!image) return image.error();
            seen = by_manifest.emplace(digest, images.size()).first;
            images.push_back(std::move(image.value()));
        }
        for (auto& name : names_of(descriptor)) images[seen->second].names.push_back(name);
    }
    return images;
}

namespace {

// Hashes a (possibly large) file without loading it.
Result<std::string> file_digest(const std::string& path) {
    sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys::errno_error("open {}", path);
    Sha256 hash;
    std::vector<char> buf(kHashChunk);
    while (true) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys::errno_error("read {}", path);
        if (n == 0) break;
        hash.update(buf.data(), static_cast<size_t>(n));
    }
    return hash.digest();
}

struct CheckedImage {
    std::string config_text;
    std::string id;
    std::vector<std::string> diff_ids;
    std::vector<Reference> refs;
};

// Everything about an image that can be checked before its layers are read.
Result<CheckedImage> check_image(const ArchiveTree& tree, const ArchiveImage& image) {
    CheckedImage checked;
    auto text = tree.read(image.config_path, kMaxJsonSize);
    if (!text) return text.error();
    checked.config_text = std::move(text.value());
    checked.id = sha256_digest(checked.config_text);
    if (!image.config_digest.empty() && checked.id != image.config_digest)
        return invalid(fmt::format("config \"{}\" does not match its digest {}", image.config_path, image.config_digest));
    auto config = parse_object(checked.config_text, fmt::format("image config \"{}\"", image.config_path));
    if (!config) return config.error();
    const json rootfs = config.value().value("rootfs", json::object());
    const json diff_ids = rootfs.is_object() ? rootfs.value("diff_ids", json()) : json();
    if (!diff_ids.is_array()) return invalid(fmt::format("image config \"{}\" has no rootfs.diff_ids", image.config_path));
    for (const auto& d : diff_ids) {
        if (!d.is_string() || !is_valid_digest(d.get<std::string>()))
            return invalid(fmt::format("image config \"{}\" has an invalid diff_id", image.config_path));
        checked.diff_ids.push_back(d.get<std::string>());
    }
    if (checked.diff_ids.size() != image.layer_paths.size())
        return invalid(fmt::format("image {}: the config lists {} layers, the manifest {}", checked.id,
                                   checked.diff_ids.size(), image.layer_paths.size()));
    for (const auto& path : image.layer_paths)
        if (!tree.has_file(path)) return Error{ENOENT, fmt::format("image {}: layer \"{}\" is missing from the archive", checked.id, path)};
    for (const auto& name : image.names) {
        auto ref = parse_reference(name);
        if (!ref) return std::move(ref).context(fmt::format("image {}: name \"{}\"", checked.id, name)).error();
        if (!ref.value().digest.empty()) return invalid(fmt::format("image {}: name \"{}\" is not a tag", checked.id, name));
        checked.refs.push_back(ref.value());
    }
    return checked;
}

Status store_layer(const ImageStore& store, const ArchiveTree& tree, const std::string& path,
                   const std::string& blob_digest, const std::string& diff_id) {
    auto disk = tree.file(path);
    if (!disk) return disk.error();
    if (!blob_digest.empty()) {
        auto digest = file_digest(disk.value());
        if (!digest) return digest.error();
        if (digest.value() != blob_digest)
            return invalid(fmt::format("layer \"{}\" does not match its digest {}", path, blob_digest));
    }
    sys::UniqueFd fd(::open(disk.value().c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys::errno_error("open {}", disk.value());
    auto stored = store_uncompressed(fd.get(), store.blobs());
    if (!stored) return std::move(stored).context(fmt::format("layer \"{}\"", path)).error();
    if (stored.value() != diff_id)
        return invalid(fmt::format("layer \"{}\" has diff_id {}, the config expects {}", path, stored.value(), diff_id));
    auto unpacked = store.layers().ensure(diff_id, store.blobs().path(diff_id));
    if (!unpacked) return std::move(unpacked).context(fmt::format("layer \"{}\"", path)).error();
    return sys::ok();
}

// Stores the layers and registers the image under one lock, as import does: garbage collection
// must not take a layer between its storing and the image that refers to it.
Result<std::string> store_image(const ImageStore& store, const ArchiveTree& tree, const ArchiveImage& image,
                                const CheckedImage& checked) {
    auto held = store.index().lock();
    if (!held) return held.error();
    for (size_t i = 0; i < checked.diff_ids.size(); ++i) {
        auto stored = store_layer(store, tree, image.layer_paths[i], image.layer_digests[i], checked.diff_ids[i]);
        if (!stored) {
            (void)store.collect_garbage(held.value());  // drops a wrongly named blob
            return std::move(stored).context("image " + checked.id).error();
        }
    }
    auto id = store.add_image_bytes(held.value(), checked.config_text);
    if (!id) return id.error();
    if (id.value() != checked.id) return Error{EIO, fmt::format("image {} was stored as {}", checked.id, id.value())};
    return id;
}

Status tag_image(const ImageStore& store, const std::string& id, const Reference& ref,
                 const std::function<void(const std::string&)>& print) {
    auto previous = store.resolve(ref.full());
    if (previous && previous.value() != id)
        print(fmt::format("The image {} already exists, renaming the old one with ID {} to empty string",
                          ref.familiar(), previous.value()));
    if (auto tagged = store.tag(id, ref); !tagged) return tagged;
    print("Loaded image: " + ref.familiar());
    return sys::ok();
}

Result<std::vector<ArchiveImage>> find_images(const ArchiveTree& tree, const LoadOptions& options) {
    ReadArchiveFile read = [&tree](const std::string& path) { return tree.read(path, kMaxJsonSize); };
    // The combined form is read as a docker-archive, as docker itself does.
    if (tree.has_file("manifest.json")) {
        auto text = read("manifest.json");
        if (!text) return text.error();
        return parse_docker_manifest(text.value());
    }
    if (tree.has_file("index.json")) return parse_oci_layout(read, options);
    return invalid("invalid image archive: it has neither manifest.json nor index.json");
}

}  // namespace

Status load_images(const ImageStore& store, int fd, const LoadOptions& options,
                   const std::function<void(const std::string&)>& print) {
    remove_stale_archive_dirs(options.temp_parent, kStaleAge);
    auto tree = ArchiveTree::extract(fd, options.temp_parent);
    if (!tree) return tree.error();
    auto images = find_images(tree.value(), options);
    if (!images) return images.error();
    if (images.value().empty()) return invalid("invalid image archive: it lists no image");
    for (const auto& image : images.value()) {
        auto checked = check_image(tree.value(), image);
        if (!checked) return checked.error();
        auto id = store_image(store, tree.value(), image, checked.value());
        if (!id) return id.error();
        if (checked.value().refs.empty()) print("Loaded image ID: " + id.value());
        for (const auto& ref : checked.value().refs)
            if (auto tagged = tag_image(store, id.value(), ref, print); !tagged) return tagged;
    }
    return sys::ok();
}

}  // namespace engine::image
