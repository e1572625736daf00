#include "engine/container/store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>

#include <algorithm>
#include <array>
#include <random>
#include <regex>

#include "engine/sys/files.hpp"

namespace engine::container {
namespace {

constexpr const char* kRecordFile = "config.json";

bool is_hex_id(const std::string& s) {
    return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::vector<std::string> list_ids(const std::string& base) {
    std::vector<std::string> ids;
    DIR* dir = ::opendir(base.c_str());
    if (!dir) return ids;
    while (dirent* e = ::readdir(dir))
        if (is_hex_id(e->d_name)) ids.emplace_back(e->d_name);
    ::closedir(dir);
    return ids;
}

std::string strip_slash(const std::string& name) {
    return !name.empty() && name[0] == '/' ? name.substr(1) : name;
}

}  // namespace

Result<ContainerStore> ContainerStore::open(const std::string& root) {
    std::string base = root + "/containers";
    if (auto made = sys::make_dirs(base, 0700); !made) return made.error();
    return ContainerStore(base);
}

Result<ContainerRecord> ContainerStore::load(const std::string& id) const {
    auto text = sys::read_file(dir(id) + "/" + kRecordFile);
    if (!text) return text.error();
    try {
        return nlohmann::json::parse(text.value()).get<ContainerRecord>();
    } catch (const nlohmann::json::exception& e) {
        return Error{EINVAL, fmt::format("container {}: corrupt record: {}", id, e.what())};
    }
}

std::vector<ContainerRecord> ContainerStore::list() const {
    std::vector<ContainerRecord> out;
    // A directory without a readable record is a container half-created or half-removed by a
    // process that died; it is not listed (and `rm` of its id still cleans it).
    for (const auto& id : list_ids(base_))
        if (auto r = load(id)) out.push_back(std::move(r.value()));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.created != b.created ? a.created > b.created : a.id < b.id;
    });
    return out;
}

Result<ContainerRecord> ContainerStore::find(const std::string& ref) const {
    std::string name = strip_slash(ref);
    auto all = list();
    for (auto& r : all)
        if (r.id == ref || r.name == name) return std::move(r);
    // A unique id prefix, as docker accepts.
    std::vector<ContainerRecord*> matches;
    if (!ref.empty())
        for (auto& r : all)
            if (r.id.rfind(ref, 0) == 0) matches.push_back(&r);
    if (matches.size() == 1) return std::move(*matches[0]);
    if (matches.size() > 1)
        return Error{EINVAL, fmt::format("multiple containers found with provided prefix: {}", ref)};
    return Error{ENOENT, fmt::format("No such container: {}", ref)};
}

bool ContainerStore::name_taken(const std::string& name, const std::string& except_id) const {
    for (const auto& r : list())
        if (r.name == name && r.id != except_id) return true;
    return false;
}

Status ContainerStore::add(const ContainerRecord& record) {
    if (name_taken(record.name, record.id)) {
        std::string holder = find(record.name) ? find(record.name).value().id : "";
        return Error{EEXIST, fmt::format(
            "Conflict. The container name \"/{}\" is already in use by container \"{}\". You have "
            "to remove (or rename) that container to be able to reuse that name.", record.name, holder)};
    }
    if (auto made = sys::make_dirs(dir(record.id), 0710); !made) return made;
    return save(record);
}

Status ContainerStore::save(const ContainerRecord& record) const {
    return sys::write_file_atomic(dir(record.id) + "/" + kRecordFile, nlohmann::json(record).dump(),
                                  0600, durability_of(record));
}

Status ContainerStore::rename(const std::string& id, const std::string& new_name) {
    auto record = load(id);
    if (!record) return record.error();
    if (name_taken(new_name, id))
        return Error{EEXIST, fmt::format("Error when allocating new name: Conflict. The container "
                                         "name \"/{}\" is already in use", new_name)};
    record.value().name = new_name;
    return save(record.value());
}

Status ContainerStore::remove(const std::string& id) {
    // The record goes first: a crash halfway leaves an unlisted directory, never a listed
    // container with half its files.
    ::unlink((dir(id) + "/" + kRecordFile).c_str());
    return sys::remove_tree(dir(id));
}

Result<sys::UniqueFd> ContainerStore::lock() const {
    std::string path = base_ + "/.lock";
    sys::UniqueFd fd{::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)};
    if (!fd) return sys::errno_error("open {}", path);
    if (::flock(fd.get(), LOCK_EX) != 0) return sys::errno_error("lock {}", path);
    return fd;
}

std::string new_container_id() {
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return fmt::format("{:016x}{:016x}{:016x}{:016x}", rng(), rng(), rng(), rng());
}

bool valid_container_name(const std::string& name) {
    static const std::regex pattern("^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$");
    return std::regex_match(name, pattern);
}

std::string generate_name(const std::function<bool(const std::string&)>& taken) {
    // Harbour words, in docker's adjective_noun shape.
    static const std::array<const char*, 24> adjectives = {
        "amber", "brave", "calm", "clever", "eager", "fancy", "gentle", "happy", "jolly", "keen",
        "lucid", "merry", "nimble", "proud", "quiet", "rapid", "serene", "sharp", "steady",
        "sunny", "swift", "tidy", "vivid", "witty"};
    static const std::array<const char*, 24> nouns = {
        "anchor", "barge", "beacon", "bollard", "buoy", "cargo", "cove", "dock", "ferry", "galley",
        "harbor", "hull", "jetty", "keel", "lighthouse", "mast", "pier", "quay", "rudder", "sail",
        "skiff", "tugboat", "wharf", "yacht"};
    static thread_local std::mt19937 rng{std::random_device{}()};
    for (int attempt = 0;; ++attempt) {
        std::string name = fmt::format("{}_{}", adjectives[rng() % adjectives.size()],
                                       nouns[rng() % nouns.size()]);
        // Like docker: after a few collisions a digit suffix makes the name unique.
        if (attempt > 8) name += std::to_string(rng() % 10000);
        if (!taken(name)) return name;
    }
}

}  // namespace engine::container
