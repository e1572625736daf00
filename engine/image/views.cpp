#include "engine/image/views.hpp"

#include <fnmatch.h>

#include <optional>

#include "engine/sys/clock.hpp"

namespace engine::image {
namespace {

using nlohmann::json;

constexpr const char* kNone = "<none>";

struct Filters {
    std::vector<std::string> references, labels;
    std::optional<bool> dangling;
    std::optional<std::int64_t> before, since;
};

std::int64_t created_ns(const Image& image) {
    return sys::parse_rfc3339(image.config.value("created", "")).value_or(0);
}

Error invalid_filter(const std::string& f) { return Error{EINVAL, fmt::format("invalid filter '{}'", f)}; }

Result<Filters> parse_filters(const ImageStore& store, const ListOptions& options) {
    Filters out;
    if (!options.reference.empty()) out.references.push_back(options.reference);
    for (const auto& f : options.filters) {
        auto eq = f.find('=');
        if (eq == std::string::npos) return invalid_filter(f);
        std::string key = f.substr(0, eq), value = f.substr(eq + 1);
        if (key == "reference") out.references.push_back(value);
        else if (key == "label") out.labels.push_back(value);
        else if (key == "dangling" && (value == "true" || value == "false")) out.dangling = value == "true";
        else if (key == "before" || key == "since") {
            auto image = store.get(value);
            if (!image) return image.error();
            (key == "before" ? out.before : out.since) = created_ns(image.value());
        } else {
            return invalid_filter(f);
        }
    }
    return out;
}

bool has_label(const Image& image, const std::string& want) {
    json labels = image.config.value("config", json::object()).value("Labels", json::object());
    if (!labels.is_object()) return false;
    auto eq = want.find('=');
    std::string key = want.substr(0, eq);
    if (!labels.contains(key)) return false;
    return eq == std::string::npos || labels[key] == want.substr(eq + 1);
}

// reference= matches docker's way: the pattern against "name:tag", then against "name";
// '*' stops at '/' as in Go's path.Match.
bool reference_matches(const std::vector<std::string>& patterns, const std::string& repo, const std::string& tag) {
    if (patterns.empty()) return true;
    std::string full = repo + ":" + tag;
    for (const auto& p : patterns)
        if (::fnmatch(p.c_str(), full.c_str(), FNM_PATHNAME) == 0 || ::fnmatch(p.c_str(), repo.c_str(), FNM_PATHNAME) == 0)
            return true;
    return false;
}

bool image_matches(const Filters& f, const Image& image) {
    if (f.dangling && *f.dangling != image.repo_tags.empty()) return false;
    for (const auto& label : f.labels)
        if (!has_label(image, label)) return false;
    if (f.before && created_ns(image) >= *f.before) return false;
    if (f.since && created_ns(image) <= *f.since) return false;
    return true;
}

std::string digest_for(const Image& image, const std::string& repo) {
    for (const auto& d : image.repo_digests)
        if (auto at = d.find('@'); d.substr(0, at) == repo) return d.substr(at + 1);
    return kNone;
}

}  // namespace

Result<std::vector<ListedImage>> list_images(const ImageStore& store, const ListOptions& options) {
    auto filters = parse_filters(store, options);
    if (!filters) return filters.error();
    auto images = store.list();
    if (!images) return images.error();
    std::vector<ListedImage> rows;
    for (auto& image : images.value()) {
        if (!image_matches(filters.value(), image)) continue;
        if (image.repo_tags.empty()) {
            if (!filters.value().references.empty()) continue;
            std::string repo = image.repo_digests.empty() ? kNone : image.repo_digests[0].substr(0, image.repo_digests[0].find('@'));
            rows.push_back({image, repo, kNone, digest_for(image, repo)});
            continue;
        }
        for (const auto& repo_tag : image.repo_tags) {
            auto colon = repo_tag.rfind(':');
            std::string repo = repo_tag.substr(0, colon), tag = repo_tag.substr(colon + 1);
            if (!reference_matches(filters.value().references, repo, tag)) continue;
            rows.push_back({image, repo, tag, digest_for(image, repo)});
        }
    }
    return rows;
}

std::vector<HistoryRow> image_history(const ImageStore& store, const Image& image) {
    std::vector<HistoryRow> rows;
    json diff_ids = image.config.value("rootfs", json::object()).value("diff_ids", json::array());
    size_t layer = 0;
    for (const auto& h : image.config.value("history", json::array())) {
        HistoryRow row{"<missing>", h.value("created", ""), h.value("created_by", ""), h.value("comment", ""), 0};
        if (!h.value("empty_layer", false) && layer < diff_ids.size()) {
            auto info = store.layers().info(diff_ids[layer++].get<std::string>());
            if (info) row.size = info.value().size;
        }
        rows.insert(rows.begin(), row);
    }
    if (!rows.empty()) rows.front().id = image.id;
    return rows;
}

nlohmann::ordered_json inspect_image(const Image& image) {
    // Every key docker prints, even when unset, so that templates like {{.Config.Cmd}} work.
    nlohmann::ordered_json config = {{"Hostname", ""}, {"Domainname", ""}, {"User", ""}, {"AttachStdin", false},
                   {"AttachStdout", false}, {"AttachStderr", false}, {"Tty", false}, {"OpenStdin", false},
                   {"StdinOnce", false}, {"Env", nullptr}, {"Cmd", nullptr}, {"Image", ""},
                   {"Volumes", nullptr}, {"WorkingDir", ""}, {"Entrypoint", nullptr}, {"OnBuild", nullptr},
                   {"Labels", nullptr}};
    const json runtime = image.config.value("config", json::object());
    for (const auto& [key, value] : runtime.items()) config[key] = value;
    json layers = image.config.value("rootfs", json::object()).value("diff_ids", json::array());
    std::string lowerdirs;
    for (const auto& dir : image.layer_dirs) lowerdirs += (lowerdirs.empty() ? "" : ":") + dir;
    return nlohmann::ordered_json{{"Id", image.id},
            {"RepoTags", image.repo_tags},
            {"RepoDigests", image.repo_digests},
            {"Parent", ""},
            {"Comment", image.config.value("comment", "")},
            {"Created", image.config.value("created", "")},
            {"DockerVersion", image.config.value("docker_version", "")},
            {"Author", image.config.value("author", "")},
            {"Config", config},
            {"Architecture", image.config.value("architecture", "")},
            {"Os", image.config.value("os", "")},
            {"Size", image.size},
            {"GraphDriver", {{"Name", "overlay"}, {"Data", {{"LowerDir", lowerdirs}}}}},
            {"RootFS", {{"Type", "layers"}, {"Layers", layers}}},
            {"Metadata", {{"LastTagTime", "0001-01-01T00:00:00Z"}}}};
}

}  // namespace engine::image
