#include "engine/container/mounts.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>

#include "engine/sys/files.hpp"
#include "engine/sys/unique_fd.hpp"
#include "volumes/copy_up.hpp"
#include "volumes/volume_store.hpp"

namespace engine::container {
namespace {

using nlohmann::json;
using volumes::MountPoint;

constexpr const char* kMountsFile = "mounts.json";

Status check_volume_name(const MountPoint& m) {
    if (m.type != "volume" || m.source.empty() || volumes::valid_name(m.source)) return sys::ok();
    return Error{EINVAL, fmt::format("create {}: \"{}\" includes invalid characters for a local volume "
                                     "name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you "
                                     "intended to pass a host directory, use absolute path",
                                     m.source, m.source)};
}

// A bind source must exist unless the mount asks for it to be created; "/x/../y" was cleaned
// lexically by the parser, and symlinks are resolved at start.
Status check_bind_source(const MountPoint& m) {
    if (m.type != "bind" || m.create_source) return sys::ok();
    struct stat st{};
    if (::stat(m.source.c_str(), &st) != 0)
        return Error{ENOENT, fmt::format("invalid mount config for type \"bind\": bind source path "
                                         "does not exist: {}", m.source)};
    return sys::ok();
}

// --volumes-from copies another container's mounts, with "ro"/"rw" overriding their mode.
Status add_volumes_from(const json& host, const MountsOf& mounts_of, std::map<std::string, MountPoint>& out) {
    for (const auto& spec : host.value("VolumesFrom", json::array())) {
        auto parsed = volumes::parse_volumes_from(spec.get<std::string>());
        if (!parsed) return parsed.error();
        auto theirs = mounts_of(parsed.value().first);
        if (!theirs) return theirs.error();
        for (auto m : theirs.value()) {
            if (!parsed.value().second.empty()) m.read_only = parsed.value().second == "ro";
            m.anonymous = false;  // it belongs to the other container
            m.copy_data = false;
            out[m.destination] = m;
        }
    }
    return sys::ok();
}

Status add_user_mounts(const json& host, std::map<std::string, MountPoint>& out) {
    std::set<std::string> seen;
    auto add = [&](Result<MountPoint> m) -> Status {
        if (!m) return m.error();
        if (!seen.insert(m.value().destination).second)
            return Error{EINVAL, fmt::format("Duplicate mount point: {}", m.value().destination)};
        if (auto s = check_volume_name(m.value()); !s) return s;
        if (auto s = check_bind_source(m.value()); !s) return s;
        out[m.value().destination] = m.value();
        return sys::ok();
    };
    for (const auto& b : host.value("Binds", json::array()))
        if (auto s = add(volumes::parse_bind(b.get<std::string>())); !s) return s;
    for (const auto& m : host.value("Mounts", json::array()))
        if (auto s = add(volumes::parse_api_mount(m)); !s) return s;
    const json tmpfs = host.value("Tmpfs", json::object());  // items() must outlive the loop
    for (const auto& [dest, _] : tmpfs.items())
        if (seen.count(dest)) return Error{EINVAL, fmt::format("Duplicate mount point: {}", dest)};
    return sys::ok();
}

// Image VOLUMEs not covered by the user's mounts become anonymous volumes. An empty or relative
// path is refused (CVE-2022-23648 copied host content through one).
Status add_image_volumes(const json& config, std::map<std::string, MountPoint>& out) {
    const json image_volumes = config.value("Volumes", json::object());
    for (const auto& [path, _] : image_volumes.items()) {
        if (auto s = volumes::check_destination(path, "volume"); !s)
            return std::move(s).context("image volume").error();
        auto m = volumes::parse_bind(path);
        if (!m) return m.error();
        if (!out.count(m.value().destination)) out[m.value().destination] = m.value();
    }
    return sys::ok();
}

int openat2_in_root(int root_fd, const std::string& path, int flags) {
    open_how how{};
    how.flags = static_cast<__u64>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string rel = path.substr(path.find_first_not_of('/') == std::string::npos ? path.size()
                                                                                    : path.find_first_not_of('/'));
    return static_cast<int>(::syscall(SYS_openat2, root_fd, rel.empty() ? "." : rel.c_str(), &how, sizeof how));
}

// The image's file system, read-only, for copy-up: one layer as is, several overlaid.
class ImageView {
public:
    static Result<ImageView> open(const std::vector<std::string>& layers, const std::string& scratch) {
        ImageView view;
        std::string root = layers.empty() ? "" : layers[0];
        if (layers.size() > 1) {
            std::string lower;
            for (const auto& l : layers) lower += (lower.empty() ? "" : ":") + l;
            if (auto made = sys::make_dirs(scratch, 0700); !made) return made.error();
            std::string data = "lowerdir=" + lower;
            if (::mount("overlay", scratch.c_str(), "overlay", MS_RDONLY, data.c_str()) != 0)
                return sys::errno_error("mount the image for copy-up on {}", scratch);
            view.mounted_ = scratch;
            root = scratch;
        }
        if (!root.empty()) {
            view.root_.reset(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
            if (!view.root_) return sys::errno_error("open image root {}", root);
        }
        return view;
    }
    ImageView() = default;
    ImageView(ImageView&& o) noexcept : root_(std::move(o.root_)), mounted_(std::exchange(o.mounted_, "")) {}
    ~ImageView() {
        root_.reset();
        if (!mounted_.empty()) {
            ::umount2(mounted_.c_str(), MNT_DETACH);
            ::rmdir(mounted_.c_str());
        }
    }
    /// The image's directory at `path`, resolved beneath the image root (never outside it);
    /// empty when there is none.
    sys::UniqueFd directory(const std::string& path) const {
        if (!root_) return sys::UniqueFd();
        return sys::UniqueFd(openat2_in_root(root_.get(), path, O_RDONLY | O_DIRECTORY));
    }

private:
    sys::UniqueFd root_;
    std::string mounted_;
};

Status copy_up(const ImageView& image, const std::string& data_dir, const std::string& destination) {
    sys::UniqueFd source = image.directory(destination);
    if (!source) return sys::ok();  // nothing (or no directory) in the image there
    sys::UniqueFd target(::open(data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!target) return sys::errno_error("open {}", data_dir);
    auto empty = volumes::is_empty_dir(target.get());
    if (!empty) return empty.error();
    if (!empty.value()) return sys::ok();
    return volumes::copy_tree(source.get(), target.get()).context(fmt::format("copy image content at {}", destination));
}

Status make_volume(volumes::VolumeStore& store, MountPoint& m, std::vector<std::string>& created) {
    volumes::CreateRequest request;
    request.name = m.source;
    request.labels = m.volume_labels;
    request.options = m.volume_options;
    if (m.source.empty()) {
        request.labels[volumes::kAnonymousLabel] = "";
        m.anonymous = true;
    }
    bool existed = !m.source.empty() && store.get(m.source).ok();
    auto v = store.create(request);
    if (!v) return v.error();
    m.source = v.value().name;
    if (!existed) created.push_back(m.source);
    return store.activate(v.value());
}

Status make_bind_source(const MountPoint& m) {
    if (m.type != "bind" || !m.create_source || sys::exists(m.source)) return sys::ok();
    return sys::make_dirs(m.source, 0755);
}

std::string resolve_bind_source(const MountPoint& m, Status& status) {
    char resolved[PATH_MAX];
    if (::realpath(m.source.c_str(), resolved)) return resolved;
    if (errno == ENOENT && m.create_source) {
        if (auto made = sys::make_dirs(m.source, 0755); !made) status = made;
        else if (::realpath(m.source.c_str(), resolved)) return resolved;
    }
    if (status) status = Error{ENOENT, fmt::format("invalid mount config for type \"bind\": bind source "
                                                   "path does not exist: {}", m.source)};
    return "";
}

runtime::MountSpec tmpfs_spec(const MountPoint& m) {
    runtime::MountSpec spec{"tmpfs", m.destination, "tmpfs", {"nosuid", "nodev", "noexec"}};
    if (m.read_only) spec.options.push_back("ro");
    if (m.tmpfs_size > 0) spec.options.push_back(fmt::format("size={}", m.tmpfs_size));
    if (m.tmpfs_mode != 0) spec.options.push_back(fmt::format("mode={:o}", m.tmpfs_mode));
    return spec;
}

size_t depth_of(const std::string& path) { return static_cast<size_t>(std::count(path.begin(), path.end(), '/')); }

}  // namespace

Result<std::vector<MountPoint>> plan_mounts(const json& config, const json& host, const MountsOf& mounts_of) {
    std::map<std::string, MountPoint> by_destination;
    if (auto s = add_volumes_from(host, mounts_of, by_destination); !s) return s.error();
    if (auto s = add_user_mounts(host, by_destination); !s) return s.error();
    if (auto s = add_image_volumes(config, by_destination); !s) return s.error();
    std::vector<MountPoint> out;
    for (auto& [_, m] : by_destination) out.push_back(std::move(m));
    return out;
}

Status create_mounts(const std::string& root, const std::string& container_dir, std::vector<MountPoint> mounts,
                     const std::vector<std::string>& layer_dirs) {
    auto store = volumes::VolumeStore::open(root);
    if (!store) return store.error();
    std::vector<std::string> created;
    auto fail = [&](const Error& e) -> Status {
        for (const auto& name : created) (void)store.value().remove(name, {});
        return e;
    };
    std::optional<ImageView> image;
    for (auto& m : mounts) {
        if (auto s = make_bind_source(m); !s) return fail(s.error());
        if (m.type != "volume") continue;
        if (auto s = make_volume(store.value(), m, created); !s) return fail(s.error());
        if (!m.copy_data) continue;
        if (!image) {
            auto opened = ImageView::open(layer_dirs, container_dir + "/copyup");
            if (!opened) return fail(opened.error());
            image.emplace(std::move(opened.value()));
        }
        if (auto s = copy_up(*image, store.value().data_dir(m.source), m.destination); !s) return fail(s.error());
    }
    if (mounts.empty()) return sys::ok();  // load_mounts reads a missing file as none
    json doc = mounts;
    if (auto w = sys::write_file_atomic(container_dir + "/" + kMountsFile, doc.dump(2)); !w) return fail(w.error());
    return sys::ok();
}

std::vector<MountPoint> load_mounts(const std::string& container_dir) {
    auto text = sys::read_file(container_dir + "/" + kMountsFile);
    if (!text) return {};
    auto doc = json::parse(text.value(), nullptr, false);
    if (!doc.is_array()) return {};
    try {
        return doc.get<std::vector<MountPoint>>();
    } catch (const json::exception&) {
        return {};
    }
}

Status add_volume_mounts(const std::string& root, const std::string& container_dir, runtime::ContainerSpec& spec) {
    auto mounts = load_mounts(container_dir);
    if (mounts.empty()) return sys::ok();
    auto store = volumes::VolumeStore::open(root);
    if (!store) return store.error();
    for (const auto& m : mounts) {
        if (m.type == "tmpfs") {
            spec.mounts.push_back(tmpfs_spec(m));
            continue;
        }
        std::vector<std::string> options = {m.type == "bind" && !m.recursive ? "bind" : "rbind",
                                            m.read_only ? "ro" : "rw"};
        options.push_back(m.propagation.empty() ? "rprivate" : m.propagation);
        std::string source;
        if (m.type == "volume") {
            auto v = store.value().get(m.source);
            if (!v) return v.error();
            if (auto s = store.value().activate(v.value()); !s) return s;
            source = v.value().mountpoint;
        } else {
            Status status = sys::ok();
            source = resolve_bind_source(m, status);
            if (!status) return status;
        }
        spec.mounts.push_back({source, m.destination, "bind", options});
    }
    // Parents before children (Docker sorts by path depth), so /a/b is not hidden under /a.
    std::stable_sort(spec.mounts.begin(), spec.mounts.end(),
                     [](const auto& a, const auto& b) { return depth_of(a.destination) < depth_of(b.destination); });
    return sys::ok();
}

json inspect_mounts(const std::string& root, const std::string& container_dir) {
    json out = json::array();
    for (const auto& m : load_mounts(container_dir))
        out.push_back(m.inspect(m.type == "volume" ? root + "/volumes/" + m.source + "/_data" : ""));
    return out;
}

std::map<std::string, std::vector<std::string>> volumes_in_use(const std::string& root) {
    std::map<std::string, std::vector<std::string>> in_use;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root + "/containers", ec)) {
        // Only live records: the shim renames a --rm container to "<id>.removing" on its way out.
        if (!entry.is_directory() || !sys::exists(entry.path().string() + "/config.json") ||
            entry.path().filename().string().find('.') != std::string::npos)
            continue;
        for (const auto& m : load_mounts(entry.path().string()))
            if (m.type == "volume") in_use[m.source].push_back(entry.path().filename().string());
    }
    return in_use;
}

Status release_volumes(const std::string& root, const std::vector<MountPoint>& mounts,
                       const std::set<std::string>& busy, bool remove_anonymous) {
    auto store = volumes::VolumeStore::open(root);
    if (!store) return store.error();
    auto users = volumes_in_use(root);
    Status result = sys::ok();
    for (const auto& m : mounts) {
        if (m.type != "volume" || busy.count(m.source)) continue;
        auto v = store.value().get(m.source);
        if (!v) continue;
        if (auto s = store.value().deactivate(v.value()); !s && result) result = s;
        // rm -v keeps a volume another container still refers to, as Docker does.
        if (remove_anonymous && m.anonymous && !users.count(m.source))
            if (auto s = store.value().remove(m.source, {}); !s && result) result = s;
    }
    return result;
}

}  // namespace engine::container
