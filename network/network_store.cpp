#include "network/network_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/sys/clock.hpp"
#include "engine/sys/files.hpp"

namespace network {

using engine::sys::UniqueFd;
using json = nlohmann::json;

bool NetworkRecord::predefined() const {
    return name == "bridge" || name == "host" || name == "none";
}

std::string NetworkRecord::bridge_name() const {
    if (driver != "bridge") return "";
    if (auto it = options.find(kBridgeNameOption); it != options.end() && !it->second.empty())
        return it->second;
    return "br-" + id.substr(0, 12);
}

int NetworkRecord::mtu() const {
    auto it = options.find(kMtuOption);
    if (it == options.end()) return 0;
    try {
        return std::max(0, std::stoi(it->second));
    } catch (const std::exception&) {
        return 0;
    }
}

std::string new_network_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{:016x}{:016x}{:016x}{:016x}", rng(), rng(), rng(), rng());
}

std::string network_to_json(const NetworkRecord& r) {
    json config = json::array();
    for (const auto& c : r.ipam_config) {
        json entry = json::object();
        if (!c.subnet.empty()) entry["Subnet"] = c.subnet;
        if (!c.gateway.empty()) entry["Gateway"] = c.gateway;
        if (!c.ip_range.empty()) entry["IPRange"] = c.ip_range;
        config.push_back(entry);
    }
    json doc = {{"Name", r.name},
                {"Id", r.id},
                {"Created", r.created},
                {"Scope", r.scope},
                {"Driver", r.driver},
                {"EnableIPv6", r.enable_ipv6},
                {"IPAM", {{"Driver", "default"}, {"Options", r.ipam_options}, {"Config", config}}},
                {"Internal", r.internal},
                {"Attachable", r.attachable},
                {"Ingress", r.ingress},
                {"ConfigFrom", {{"Network", ""}}},
                {"ConfigOnly", false},
                {"Containers", json::object()},
                {"Options", r.options},
                {"Labels", r.labels}};
    return doc.dump(2) + "\n";
}

Result<NetworkRecord> network_from_json(std::string_view text) {
    try {
        auto doc = json::parse(text);
        NetworkRecord r;
        r.name = doc.at("Name").get<std::string>();
        r.id = doc.at("Id").get<std::string>();
        r.created = doc.value("Created", "");
        r.scope = doc.value("Scope", "local");
        r.driver = doc.value("Driver", "bridge");
        r.enable_ipv6 = doc.value("EnableIPv6", false);
        r.internal = doc.value("Internal", false);
        r.attachable = doc.value("Attachable", false);
        r.ingress = doc.value("Ingress", false);
        const json ipam = doc.value("IPAM", json::object());
        for (const auto& c : ipam.value("Config", json::array()))
            r.ipam_config.push_back(
                {c.value("Subnet", ""), c.value("Gateway", ""), c.value("IPRange", "")});
        r.ipam_options = ipam.value("Options", json::object()).get<std::map<std::string, std::string>>();
        r.options = doc.value("Options", json::object()).get<std::map<std::string, std::string>>();
        r.labels = doc.value("Labels", json::object()).get<std::map<std::string, std::string>>();
        return r;
    } catch (const json::exception& e) {
        return Error{EINVAL, fmt::format("parse network record: {}", e.what())};
    }
}

NetworkStore::NetworkStore(std::string root, std::string default_bridge)
    : dir_(std::move(root) + "/networks"), default_bridge_(std::move(default_bridge)) {}

namespace {

Result<UniqueFd> lock_file(const std::string& dir, const std::string& path) {
    if (auto made = engine::sys::make_dirs(dir, 0700); !made) return made.error();
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return engine::sys::errno_error("open {}", path);
    while (::flock(fd.get(), LOCK_EX) != 0)
        if (errno != EINTR) return engine::sys::errno_error("lock {}", path);
    return fd;
}

}  // namespace

Result<UniqueFd> NetworkStore::lock() const { return lock_file(dir_, dir_ + "/.lock"); }

Result<std::vector<NetworkRecord>> NetworkStore::load_all() const {
    std::vector<NetworkRecord> out;
    DIR* dir = ::opendir(dir_.c_str());
    if (!dir) {
        if (errno == ENOENT) return out;
        return engine::sys::errno_error("open {}", dir_);
    }
    std::vector<std::string> files;
    while (dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name.size() == 64 + 5 && name.ends_with(".json")) files.push_back(name);
    }
    ::closedir(dir);
    for (const auto& file : files) {
        auto text = engine::sys::read_file(dir_ + "/" + file);
        if (!text) {
            if (text.error().sys_errno == ENOENT) continue;  // removed meanwhile
            return text.error();
        }
        auto record = network_from_json(text.value());
        if (!record) return std::move(record).context(dir_ + "/" + file).error();
        out.push_back(std::move(record).value());
    }
    std::sort(out.begin(), out.end(),
              [](const NetworkRecord& a, const NetworkRecord& b) { return a.name < b.name; });
    return out;
}

Status NetworkStore::ensure_predefined() const {
    // Cheap check first: the marker exists once all three were written.
    const std::string marker = dir_ + "/.predefined";
    if (engine::sys::exists(marker)) return engine::sys::ok();
    // A lock of its own: callers may already hold lock() when they list.
    auto lock = lock_file(dir_, dir_ + "/.predefined.lock");
    if (!lock) return lock.error();
    if (engine::sys::exists(marker)) return engine::sys::ok();
    auto existing = load_all();
    if (!existing) return existing.error();
    auto has = [&](const std::string& name) {
        return std::any_of(existing.value().begin(), existing.value().end(),
                           [&](const NetworkRecord& r) { return r.name == name; });
    };
    const std::string now = engine::sys::format_rfc3339_nano(engine::sys::now_ns());
    for (const auto& [name, driver] : {std::pair{"bridge", "bridge"}, std::pair{"host", "host"},
                                       std::pair{"none", "null"}}) {
        if (has(name)) continue;
        NetworkRecord r;
        r.id = new_network_id();
        r.name = name;
        r.driver = driver;
        r.created = now;
        if (r.name == "bridge")
            r.options = {{kDefaultBridgeOption, "true"},
                         {"com.docker.network.bridge.enable_icc", "true"},
                         {"com.docker.network.bridge.enable_ip_masquerade", "true"},
                         {"com.docker.network.bridge.host_binding_ipv4", "0.0.0.0"},
                         {kBridgeNameOption, default_bridge_},
                         {kMtuOption, "1500"}};
        if (auto saved = save(r); !saved) return saved;
    }
    return engine::sys::write_file_atomic(marker, "", 0600);
}

Result<std::vector<NetworkRecord>> NetworkStore::list() const {
    if (auto ready = ensure_predefined(); !ready) return ready.error();
    return load_all();
}

Result<NetworkRecord> NetworkStore::find(const std::string& ref) const {
    auto all = list();
    if (!all) return all.error();
    std::vector<const NetworkRecord*> by_prefix;
    for (const auto& r : all.value()) {
        if (r.name == ref || r.id == ref) return r;
        if (!ref.empty() && r.id.rfind(ref, 0) == 0) by_prefix.push_back(&r);
    }
    if (by_prefix.size() == 1) return *by_prefix[0];
    if (by_prefix.size() > 1)
        return Error{EINVAL, fmt::format("network {} is ambiguous ({} matches found based on ID prefix)",
                                         ref, by_prefix.size())};
    return Error{ENOENT, fmt::format("network {} not found", ref)};
}

Status NetworkStore::add(const NetworkRecord& record) const {
    auto all = list();
    if (!all) return all.error();
    for (const auto& r : all.value())
        if (r.name == record.name)
            return Error{EEXIST, fmt::format("network with name {} already exists", record.name)};
    return save(record);
}

Status NetworkStore::save(const NetworkRecord& record) const {
    if (auto made = engine::sys::make_dirs(dir_, 0700); !made) return made;
    return engine::sys::write_file_atomic(dir_ + "/" + record.id + ".json", network_to_json(record),
                                          0600);
}

Status NetworkStore::remove(const std::string& id) const {
    auto path = dir_ + "/" + id + ".json";
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return engine::sys::errno_error("remove {}", path);
    return engine::sys::ok();
}

}  // namespace network
