#include "volumes/volume_store.hpp"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

#include "engine/sys/files.hpp"
#include "volumes/log.hpp"

namespace volumes {
namespace {

using nlohmann::json;
namespace sys = engine::sys;

std::string now_rfc3339() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

Volume from_json(const json& j) {
    Volume v;
    v.name = j.value("Name", "");
    v.driver = j.value("Driver", "local");
    v.labels = j.value("Labels", json::object()).get<std::map<std::string, std::string>>();
    v.options = j.value("Options", json::object()).get<std::map<std::string, std::string>>();
    v.created_at = j.value("CreatedAt", "");
    v.mountpoint = j.value("Mountpoint", "");
    return v;
}

bool is_mounted(const std::string& path) {
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string id, parent, devno, root, target;
        fields >> id >> parent >> devno >> root >> target;
        if (target == path) return true;
    }
    return false;
}

// The "o=" option as mount(8) reads it: flag words become mount flags, the rest is data.
std::pair<unsigned long, std::string> split_mount_options(const std::string& text) {
    static const std::map<std::string, unsigned long> kFlags = {
        {"ro", MS_RDONLY}, {"bind", MS_BIND}, {"rbind", MS_BIND | MS_REC}, {"nosuid", MS_NOSUID},
        {"nodev", MS_NODEV}, {"noexec", MS_NOEXEC}, {"noatime", MS_NOATIME}, {"sync", MS_SYNCHRONOUS}};
    unsigned long flags = 0;
    std::string data;
    std::istringstream parts(text);
    for (std::string part; std::getline(parts, part, ',');) {
        if (part.empty() || part == "rw") continue;
        if (auto f = kFlags.find(part); f != kFlags.end()) flags |= f->second;
        else data += (data.empty() ? "" : ",") + part;
    }
    return {flags, data};
}

std::uint64_t tree_size(const std::string& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(
             dir, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        struct stat st{};
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
            total += static_cast<std::uint64_t>(st.st_size);
    }
    return total;
}

bool label_matches(const Volume& v, const std::string& want) {
    auto eq = want.find('=');
    auto it = v.labels.find(want.substr(0, eq));
    if (it == v.labels.end()) return false;
    return eq == std::string::npos || it->second == want.substr(eq + 1);
}

bool any_of(const std::vector<std::string>& values, const std::function<bool(const std::string&)>& f) {
    return std::any_of(values.begin(), values.end(), f);
}

// Docker's filter semantics: values of one key are alternatives (or), keys all must hold (and);
// label= are the exception and must all match; name= is a substring match.
bool matches(const Volume& v, const Filters& filters, bool used) {
    for (const auto& [key, values] : filters) {
        if (values.empty()) continue;
        bool ok = true;
        if (key == "name")
            ok = any_of(values, [&](const std::string& s) { return v.name.find(s) != std::string::npos; });
        else if (key == "driver")
            ok = any_of(values, [&](const std::string& s) { return v.driver == s; });
        else if (key == "dangling")
            ok = any_of(values, [&](const std::string& s) { return (s == "true" || s == "1") == !used; });
        else if (key == "label")
            ok = std::all_of(values.begin(), values.end(), [&](const auto& s) { return label_matches(v, s); });
        else if (key == "label!")
            ok = std::none_of(values.begin(), values.end(), [&](const auto& s) { return label_matches(v, s); });
        if (!ok) return false;
    }
    return true;
}

}  // namespace

json Volume::inspect() const {
    return {{"CreatedAt", created_at}, {"Driver", driver},   {"Labels", labels},
            {"Mountpoint", mountpoint}, {"Name", name},     {"Options", options},
            {"Scope", "local"}};
}

bool valid_name(const std::string& name) {
    static const std::regex pattern("^[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
    return std::regex_match(name, pattern);
}

std::string new_anonymous_name() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{:016x}{:016x}{:016x}{:016x}", rng(), rng(), rng(), rng());
}

Status add_filter(Filters& filters, const std::string& text, const std::set<std::string>& allowed) {
    auto eq = text.find('=');
    if (eq == std::string::npos)
        return Error{EINVAL, fmt::format("bad format of filter (expected name=value)")};
    std::string key = text.substr(0, eq);
    if (!allowed.count(key)) return Error{EINVAL, fmt::format("invalid filter '{}'", key)};
    filters[key].push_back(text.substr(eq + 1));
    return sys::ok();
}

Status validate_options(const std::map<std::string, std::string>& options) {
    for (const auto& [key, value] : options)
        if (key != "type" && key != "device" && key != "o")
            return Error{EINVAL, fmt::format("invalid option: \"{}\"", key)};
    if (options.count("o") && options.at("o").find("bind") != std::string::npos &&
        !options.count("device"))
        return Error{EINVAL, "missing required option: \"device\""};
    if (options.count("device") && !options.count("type"))
        return Error{EINVAL, "missing required option: \"type\""};
    return sys::ok();
}

Result<VolumeStore> VolumeStore::open(const std::string& root) {
    std::string dir = root + "/volumes";
    if (auto made = sys::make_dirs(dir, 0701); !made) return made.error();
    return VolumeStore(dir);
}

Status VolumeStore::save(const Volume& volume) const {
    return sys::write_file_atomic(dir_ + "/" + volume.name + "/volume.json", volume.inspect().dump(2));
}

Result<Volume> VolumeStore::create(const CreateRequest& request) {
    std::string name = request.name.empty() ? new_anonymous_name() : request.name;
    if (!valid_name(name))
        return Error{EINVAL, fmt::format("create {}: \"{}\" includes invalid characters for a local "
                                         "volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. "
                                         "If you intended to pass a host directory, use absolute path",
                                         name, name)};
    std::string driver = request.driver.empty() ? "local" : request.driver;
    if (driver != "local")
        return Error{EINVAL, fmt::format("create {}: plugin \"{}\" not found", name, driver)};
    if (auto valid = validate_options(request.options); !valid)
        return std::move(valid).context(fmt::format("create {}", name)).error();
    if (auto existing = get(name)) {
        if (!request.options.empty() && request.options != existing.value().options)
            return Error{EEXIST, fmt::format("create {}: volume already exists with different options", name)};
        return existing;
    }
    Volume v;
    v.name = name;
    v.labels = request.labels;
    v.options = request.options;
    v.created_at = now_rfc3339();
    v.mountpoint = data_dir(name);
    if (auto made = sys::make_dirs(v.mountpoint, 0755); !made) return made.error();
    if (auto saved = save(v); !saved) {
        (void)sys::remove_tree(dir_ + "/" + name);
        return saved.error();
    }
    log().debug("[{}] volume created", name);
    return v;
}

Result<Volume> VolumeStore::get(const std::string& name) const {
    if (!valid_name(name)) return Error{ENOENT, fmt::format("get {}: no such volume", name)};
    auto text = sys::read_file(dir_ + "/" + name + "/volume.json");
    if (!text) return Error{ENOENT, fmt::format("get {}: no such volume", name)};
    auto doc = json::parse(text.value(), nullptr, false);
    if (!doc.is_object()) return Error{EIO, fmt::format("get {}: volume.json is corrupt", name)};
    try {
        return from_json(doc);
    } catch (const json::exception& e) {
        return Error{EIO, fmt::format("get {}: volume.json is corrupt: {}", name, e.what())};
    }
}

std::vector<Volume> VolumeStore::list() const {
    std::vector<Volume> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir_, ec))
        if (auto v = get(entry.path().filename().string())) out.push_back(v.value());
    std::sort(out.begin(), out.end(), [](const Volume& a, const Volume& b) { return a.name < b.name; });
    return out;
}

std::vector<Volume> VolumeStore::list(const Filters& filters, const std::set<std::string>& in_use) const {
    std::vector<Volume> out;
    for (auto& v : list())
        if (matches(v, filters, in_use.count(v.name) != 0)) out.push_back(std::move(v));
    return out;
}

Status VolumeStore::remove(const std::string& name, const std::set<std::string>& in_use) {
    auto v = get(name);
    if (!v) return Error{ENOENT, fmt::format("remove {}: no such volume", name)};
    if (in_use.count(name)) return Error{EBUSY, fmt::format("remove {}: volume is in use", name)};
    if (auto s = deactivate(v.value()); !s) return std::move(s).context(fmt::format("remove {}", name));
    // volume.json goes first: a crash midway leaves a directory no listing shows, not a volume
    // without its data.
    if (::unlink((dir_ + "/" + name + "/volume.json").c_str()) != 0)
        return sys::errno_error("remove {}", name);
    return sys::remove_tree(dir_ + "/" + name);
}

Result<std::pair<std::vector<std::string>, std::uint64_t>> VolumeStore::prune(
    bool all, const Filters& filters, const std::set<std::string>& in_use) {
    std::pair<std::vector<std::string>, std::uint64_t> out{{}, 0};
    for (const auto& v : list(filters, in_use)) {
        if (in_use.count(v.name) || (!all && !v.anonymous())) continue;
        std::uint64_t size = tree_size(v.mountpoint);
        if (auto s = remove(v.name, in_use); !s) return s.error();
        out.first.push_back(v.name);
        out.second += size;
    }
    return out;
}

Status VolumeStore::activate(const Volume& v) const {
    if (!v.options.count("type") && !v.options.count("device")) return sys::ok();
    if (is_mounted(v.mountpoint)) return sys::ok();
    auto [flags, data] = split_mount_options(v.options.count("o") ? v.options.at("o") : "");
    std::string type = v.options.count("type") ? v.options.at("type") : "";
    std::string device = v.options.count("device") ? v.options.at("device") : type;
    if (flags & MS_BIND) {
        // A bind keeps its source's flags; ro needs the remount Docker's mount package also does.
        if (::mount(device.c_str(), v.mountpoint.c_str(), nullptr, flags & (MS_BIND | MS_REC), nullptr) != 0)
            return sys::errno_error("mount volume {}: bind {}", v.name, device);
        if ((flags & MS_RDONLY) &&
            ::mount(nullptr, v.mountpoint.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
            return sys::errno_error("mount volume {}: remount read-only", v.name);
    } else if (::mount(device.c_str(), v.mountpoint.c_str(), type.c_str(), flags,
                       data.empty() ? nullptr : data.c_str()) != 0) {
        return sys::errno_error("mount volume {}: {} ({})", v.name, device, type);
    }
    log().debug("[{}] volume mounted ({})", v.name, type);
    return sys::ok();
}

Status VolumeStore::deactivate(const Volume& v) const {
    if (!is_mounted(v.mountpoint)) return sys::ok();
    if (::umount2(v.mountpoint.c_str(), UMOUNT_NOFOLLOW) != 0 &&
        ::umount2(v.mountpoint.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0)
        return sys::errno_error("unmount volume {}", v.name);
    log().debug("[{}] volume unmounted", v.name);
    return sys::ok();
}

}  // namespace volumes
