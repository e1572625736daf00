#include "engine/image/blob_store.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "engine/image/reference.hpp"
#include "engine/sys/files.hpp"

namespace engine::image {
namespace {

Status write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys::errno_error("write blob");
        data += n;
        size -= static_cast<size_t>(n);
    }
    return sys::ok();
}

Status fsync_dir(const std::string& dir) {
    sys::UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) return sys::errno_error("fsync {}", dir);
    return sys::ok();
}

// Validating before building a path keeps a crafted digest ("sha256:../../x") out of the
// filesystem (CVE-2024-3727).
Error bad_digest(const std::string& digest) {
    return Error{EINVAL, fmt::format("invalid digest \"{}\"", digest)};
}

}  // namespace

BlobStore::Writer::Writer(std::string dir, std::string temp_path, sys::UniqueFd fd)
    : dir_(std::move(dir)), temp_path_(std::move(temp_path)), fd_(std::move(fd)) {}

BlobStore::Writer::~Writer() {
    if (!temp_path_.empty()) ::unlink(temp_path_.c_str());
}

Status BlobStore::Writer::write(const void* data, size_t size) {
    hash_.update(data, size);
    return write_all(fd_.get(), static_cast<const char*>(data), size);
}

Result<std::string> BlobStore::Writer::commit(const std::string& expected) {
    std::string digest = hash_.digest();
    if (!expected.empty() && expected != digest)
        return Error{EINVAL, fmt::format("blob verification failed: expected {}, got {}", expected, digest)};
    if (::fsync(fd_.get()) != 0) return sys::errno_error("fsync {}", temp_path_);
    fd_.reset();
    std::string final_path = dir_ + "/" + digest_hex(digest);
    if (::rename(temp_path_.c_str(), final_path.c_str()) != 0)
        return sys::errno_error("rename {} to {}", temp_path_, final_path);
    temp_path_.clear();
    if (auto synced = fsync_dir(dir_); !synced) return synced.error();
    return digest;
}

Result<BlobStore> BlobStore::open(const std::string& dir) {
    if (auto made = sys::make_dirs(dir, 0700); !made) return made.error();
    return BlobStore(dir);
}

Result<BlobStore::Writer> BlobStore::writer() const {
    std::string temp = dir_ + "/.tmp-XXXXXX";
    int fd = ::mkostemp(temp.data(), O_CLOEXEC);
    if (fd < 0) return sys::errno_error("create temp blob in {}", dir_);
    return Writer(dir_, temp, sys::UniqueFd(fd));
}

Result<std::string> BlobStore::put(std::string_view data) const {
    auto w = writer();
    if (!w) return w.error();
    if (auto written = w.value().write(data.data(), data.size()); !written) return written.error();
    return w.value().commit();
}

Result<std::string> BlobStore::get(const std::string& digest) const {
    if (!is_valid_digest(digest)) return bad_digest(digest);
    auto data = sys::read_file(path(digest));
    if (!data) return data.error();
    if (std::string actual = sha256_digest(data.value()); actual != digest)
        return Error{EIO, fmt::format("blob {} is corrupt: content hashes to {}", digest, actual)};
    return data;
}

Status BlobStore::verify(const std::string& digest) const {
    if (!is_valid_digest(digest)) return bad_digest(digest);
    sys::UniqueFd fd(::open(path(digest).c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return sys::errno_error("open blob {}", digest);
    Sha256 hash;
    char buf[1 << 16];
    for (ssize_t n; (n = ::read(fd.get(), buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys::errno_error("read blob {}", digest);
        hash.update(buf, static_cast<size_t>(n));
    }
    if (std::string actual = hash.digest(); actual != digest)
        return Error{EIO, fmt::format("blob {} is corrupt: content hashes to {}", digest, actual)};
    return sys::ok();
}

bool BlobStore::has(const std::string& digest) const {
    return is_valid_digest(digest) && sys::exists(path(digest));
}

Status BlobStore::remove(const std::string& digest) const {
    if (!is_valid_digest(digest)) return bad_digest(digest);
    if (::unlink(path(digest).c_str()) != 0 && errno != ENOENT)
        return sys::errno_error("remove blob {}", digest);
    return sys::ok();
}

Status BlobStore::remove_leftovers(long min_age_s) const {
    DIR* dir = ::opendir(dir_.c_str());
    if (!dir) return sys::ok();
    std::vector<std::string> stale;
    while (dirent* e = ::readdir(dir)) {
        struct stat st {};
        std::string path = dir_ + "/" + e->d_name;
        if (std::string_view(e->d_name).rfind(".tmp-", 0) == 0 && ::lstat(path.c_str(), &st) == 0 &&
            ::time(nullptr) - st.st_mtime >= min_age_s)
            stale.push_back(path);
    }
    ::closedir(dir);
    for (const auto& path : stale)
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sys::errno_error("remove {}", path);
    return sys::ok();
}

std::vector<std::string> BlobStore::list() const {
    std::vector<std::string> out;
    DIR* dir = ::opendir(dir_.c_str());
    if (!dir) return out;
    while (dirent* e = ::readdir(dir))
        if (std::string d = std::string("sha256:") + e->d_name; is_valid_digest(d)) out.push_back(d);
    ::closedir(dir);
    return out;
}

std::string BlobStore::path(const std::string& digest) const { return dir_ + "/" + digest_hex(digest); }

}  // namespace engine::image
