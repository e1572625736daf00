#include "engine/image/removal.hpp"

#include <algorithm>
#include <set>

namespace engine::image {
namespace {

std::string short_id(const std::string& id) { return id.substr(7, 12); }

std::vector<std::string> names_of(const Image& image) {
    std::vector<std::string> names = image.repo_tags;
    names.insert(names.end(), image.repo_digests.begin(), image.repo_digests.end());
    return names;
}

// True when `ref` is one of the image's names (rather than an id or id prefix).
bool is_name_of(const std::string& ref, const Image& image) {
    auto parsed = parse_reference(ref);
    if (!parsed) return false;
    auto names = names_of(image);
    return std::find(names.begin(), names.end(), parsed.value().familiar()) != names.end();
}

Status untag_all(const ImageStore& store, const Image& image, std::vector<std::string>& lines) {
    for (const auto& name : names_of(image)) {
        auto untagged = store.untag(parse_reference(name).value());
        if (!untagged) return untagged.error();
        lines.push_back("Untagged: " + name);
    }
    return sys::ok();
}

Result<std::vector<std::string>> remove_by_name(const ImageStore& store, const Image& image, const Reference& ref,
                                                bool force, const std::vector<std::string>& users) {
    bool last_name = names_of(image).size() == 1;
    if (last_name && !users.empty() && !force)
        return Error{EBUSY, fmt::format("conflict: unable to remove repository reference \"{}\" (must force) - "
                                        "container {} is using its referenced image {}",
                                        ref.familiar(), users[0], short_id(image.id))};
    std::vector<std::string> lines;
    auto untagged = store.untag(ref);
    if (!untagged) return untagged.error();
    lines.push_back("Untagged: " + ref.familiar());
    if (!last_name || !users.empty()) return lines;
    if (auto removed = store.remove_image(image.id); !removed) return removed.error();
    lines.push_back("Deleted: " + image.id);
    return lines;
}

}  // namespace

Result<std::vector<std::string>> remove_image_ref(const ImageStore& store, const std::string& ref, bool force,
                                                  const ImagesInUse& in_use) {
    auto image = store.get(ref);
    if (!image) return image.error();
    const Image& img = image.value();
    auto it = in_use.find(img.id);
    std::vector<std::string> users = it == in_use.end() ? std::vector<std::string>{} : it->second;
    if (is_name_of(ref, img)) return remove_by_name(store, img, parse_reference(ref).value(), force, users);
    if (!force && !users.empty())
        return Error{EBUSY, fmt::format("conflict: unable to delete {} (must be forced) - image is being used "
                                        "by container {}", short_id(img.id), users[0])};
    if (!force && names_of(img).size() > 1)
        return Error{EBUSY, fmt::format("conflict: unable to delete {} (must be forced) - image is referenced "
                                        "in multiple repositories", short_id(img.id))};
    std::vector<std::string> lines;
    if (auto untagged = untag_all(store, img, lines); !untagged) return untagged.error();
    if (!users.empty()) return lines;
    if (auto removed = store.remove_image(img.id); !removed) return removed.error();
    lines.push_back("Deleted: " + img.id);
    return lines;
}

Result<PruneReport> prune_images(const ImageStore& store, bool all, const ImagesInUse& in_use) {
    auto images = store.list();
    if (!images) return images.error();
    std::map<std::string, std::int64_t> layer_sizes;
    for (const auto& diff_id : store.layers().list())
        if (auto info = store.layers().info(diff_id)) layer_sizes[diff_id] = info.value().size;
    PruneReport report;
    for (const auto& image : images.value()) {
        if (in_use.count(image.id) || (!all && !image.repo_tags.empty())) continue;
        for (const auto& name : names_of(image)) report.lines.push_back("untagged: " + name);
        if (auto removed = store.remove_image(image.id); !removed) return removed.error();
        report.lines.push_back("deleted: " + image.id);
    }
    auto left = store.layers().list();
    std::set<std::string> remaining(left.begin(), left.end());
    for (const auto& [diff_id, size] : layer_sizes)
        if (!remaining.count(diff_id)) report.reclaimed += size;
    return report;
}

}  // namespace engine::image
