#include "engine/image/image_index.hpp"

#include <fcntl.h>
#include <sys/file.h>

#include "engine/sys/files.hpp"

namespace engine::image {

Result<ImageIndex> ImageIndex::open(const std::string& dir) {
    if (auto made = sys::make_dirs(dir, 0700); !made) return made.error();
    return ImageIndex(dir);
}

Result<IndexLock> ImageIndex::lock() const {
    std::string path = dir_ + "/lock";
    sys::UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) return sys::errno_error("open {}", path);
    while (::flock(fd.get(), LOCK_EX) != 0)
        if (errno != EINTR) return sys::errno_error("lock {}", path);
    return IndexLock(std::move(fd));
}

Result<IndexData> ImageIndex::read() const {
    std::string path = dir_ + "/index.json";
    if (!sys::exists(path)) return IndexData{};
    auto text = sys::read_file(path);
    if (!text) return text.error();
    try {
        return nlohmann::json::parse(text.value()).get<IndexData>();
    } catch (const nlohmann::json::exception& e) {
        return Error{EIO, fmt::format("read image index {}: {}", path, e.what())};
    }
}

Status ImageIndex::write(const IndexLock&, const IndexData& data) const {
    return sys::write_file_atomic(dir_ + "/index.json", nlohmann::json(data).dump(2) + "\n", 0600);
}

Status ImageIndex::update(const std::function<Status(IndexData&)>& change) const {
    auto held = lock();
    if (!held) return held.error();
    auto data = read();
    if (!data) return data.error();
    if (auto changed = change(data.value()); !changed) return changed;
    return write(held.value(), data.value());
}

}  // namespace engine::image
