#include "engine/image/layer_store.hpp"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <ctime>

#include <nlohmann/json.hpp>

#include "engine/image/digest.hpp"
#include "engine/image/layer_extract.hpp"
#include "engine/image/reference.hpp"
#include "engine/sys/files.hpp"

namespace engine::image {
namespace {

constexpr const char* kTempPrefix = ".tmp-";

std::vector<std::string> entries(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (dirent* e = ::readdir(d)) out.emplace_back(e->d_name);
    ::closedir(d);
    return out;
}

Error bad_diff_id(const std::string& diff_id) {
    return Error{EINVAL, fmt::format("invalid layer diff_id \"{}\"", diff_id)};
}

}  // namespace

Result<LayerStore> LayerStore::open(const std::string& dir) {
    if (auto made = sys::make_dirs(dir, 0700); !made) return made.error();
    // A crash mid-unpack or mid-delete leaves a temp dir that nothing refers to; gc removes it
    // under the store lock (remove_leftovers), not here, where another process may be unpacking.
    return LayerStore(dir);
}

Result<bool> LayerStore::ensure(const std::string& diff_id, const std::string& tar_path) const {
    if (!is_valid_digest(diff_id)) return bad_diff_id(diff_id);
    if (has(diff_id)) return false;
    std::string temp = dir_ + "/" + kTempPrefix + "XXXXXX";
    if (!::mkdtemp(temp.data())) return sys::errno_error("create temp layer dir in {}", dir_);
    auto cleanup = [&] { (void)sys::remove_tree(temp); };
    if (auto made = sys::make_dirs(temp + "/diff", 0755); !made) {
        cleanup();
        return made.error();
    }
    auto size = extract_layer(tar_path, temp + "/diff");
    if (!size) {
        cleanup();
        return size.error();
    }
    nlohmann::json meta = {{"diff_id", diff_id}, {"size", size.value()}};
    if (auto w = sys::write_file_atomic(temp + "/layer.json", meta.dump() + "\n", 0600); !w) {
        cleanup();
        return w.error();
    }
    std::string final_dir = dir_ + "/" + digest_hex(diff_id);
    if (::rename(temp.c_str(), final_dir.c_str()) != 0) {
        int err = errno;
        cleanup();
        // Another berth unpacked the same layer meanwhile: theirs is as good as ours.
        if (err == EEXIST || err == ENOTEMPTY) return false;
        errno = err;
        return sys::errno_error("rename {} to {}", temp, final_dir);
    }
    return true;
}

bool LayerStore::has(const std::string& diff_id) const {
    return is_valid_digest(diff_id) && sys::exists(dir_ + "/" + digest_hex(diff_id) + "/layer.json");
}

Result<LayerInfo> LayerStore::info(const std::string& diff_id) const {
    if (!is_valid_digest(diff_id)) return bad_diff_id(diff_id);
    auto text = sys::read_file(dir_ + "/" + digest_hex(diff_id) + "/layer.json");
    if (!text) return text.error();
    auto meta = nlohmann::json::parse(text.value(), nullptr, false);
    if (!meta.is_object()) return Error{EIO, fmt::format("layer {}: corrupt layer.json", diff_id)};
    return LayerInfo{diff_id, meta.value("size", std::int64_t{0})};
}

std::string LayerStore::diff_dir(const std::string& diff_id) const {
    return dir_ + "/" + digest_hex(diff_id) + "/diff";
}

Status LayerStore::remove(const std::string& diff_id) const {
    if (!is_valid_digest(diff_id)) return bad_diff_id(diff_id);
    std::string dir = dir_ + "/" + digest_hex(diff_id);
    if (!sys::exists(dir)) return sys::ok();
    std::string doomed = dir_ + "/" + kTempPrefix + "rm-" + digest_hex(diff_id);
    if (::rename(dir.c_str(), doomed.c_str()) != 0) return sys::errno_error("remove layer {}", diff_id);
    return sys::remove_tree(doomed);
}

Status LayerStore::remove_leftovers(long min_age_s) const {
    std::string deleting = std::string(kTempPrefix) + "rm-";
    for (const auto& name : entries(dir_)) {
        if (name.rfind(kTempPrefix, 0) != 0) continue;
        std::string path = dir_ + "/" + name;
        struct stat st {};
        if (::lstat(path.c_str(), &st) != 0) continue;
        bool stale = ::time(nullptr) - st.st_mtime >= min_age_s;
        if (name.rfind(deleting, 0) != 0 && !stale) continue;
        if (auto removed = sys::remove_tree(path); !removed) return removed;
    }
    return sys::ok();
}

std::vector<std::string> LayerStore::list() const {
    std::vector<std::string> out;
    for (const auto& name : entries(dir_))
        if (std::string d = "sha256:" + name; is_valid_digest(d)) out.push_back(d);
    return out;
}

}  // namespace engine::image
