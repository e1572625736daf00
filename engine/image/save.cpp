#include "engine/image/save.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <map>
#include <memory>
#include <set>

#include "engine/sys/unique_fd.hpp"

namespace engine::image {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr const char* kIndexType = "application/vnd.oci.image.index.v1+json";
constexpr const char* kManifestType = "application/vnd.oci.image.manifest.v1+json";
constexpr const char* kImageNameAnnotation = "io.containerd.image.name";
constexpr const char* kRefNameAnnotation = "org.opencontainers.image.ref.name";
constexpr size_t kCopyChunk = 1 << 20;

struct ArchiveWriteFree {
    void operator()(archive* a) const { archive_write_free(a); }
};
using WriterPtr = std::unique_ptr<archive, ArchiveWriteFree>;
struct EntryFree {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryFree>;

std::string blob_name(const std::string& digest) { return "blobs/sha256/" + digest_hex(digest); }

std::string id_of_manifest(const IndexData& data, const std::string& manifest) {
    for (const auto& [id, m] : data.images)
        if (m == manifest) return id;
    return "";
}

// The archive being written. Every entry is owned by root with mtime 0, so saving the same images
// twice gives the same bytes.
class TarOut {
public:
    static Result<TarOut> open(int fd) {
        WriterPtr a(archive_write_new());
        if (archive_write_set_format_pax_restricted(a.get()) != ARCHIVE_OK ||
            archive_write_add_filter_none(a.get()) != ARCHIVE_OK || archive_write_open_fd(a.get(), fd) != ARCHIVE_OK)
            return error(a.get(), "open output archive");
        return TarOut(std::move(a));
    }

    Status directory(const std::string& name) {
        auto entry = make_entry(name, AE_IFDIR, 0755, 0);
        if (archive_write_header(a_.get(), entry.get()) != ARCHIVE_OK) return error(a_.get(), "write " + name);
        return sys::ok();
    }

    Status file(const std::string& name, std::string_view data) {
        auto entry = make_entry(name, AE_IFREG, 0644, static_cast<la_int64_t>(data.size()));
        if (archive_write_header(a_.get(), entry.get()) != ARCHIVE_OK) return error(a_.get(), "write " + name);
        if (!data.empty() && archive_write_data(a_.get(), data.data(), data.size()) != static_cast<la_ssize_t>(data.size()))
            return error(a_.get(), "write " + name);
        return sys::ok();
    }

    // Streams a stored blob, hashing it on the way: a blob damaged on disk fails the save
    // instead of producing an archive whose digests lie.
    Status blob(const BlobStore& blobs, const std::string& digest) {
        std::string path = blobs.path(digest);
        sys::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) return sys::errno_error("open blob {}", digest);
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return sys::errno_error("stat blob {}", digest);
        std::string name = blob_name(digest);
        auto entry = make_entry(name, AE_IFREG, 0644, st.st_size);
        if (archive_write_header(a_.get(), entry.get()) != ARCHIVE_OK) return error(a_.get(), "write " + name);
        Sha256 hash;
        std::vector<char> buf(kCopyChunk);
        off_t left = st.st_size;
        while (left > 0) {
            ssize_t n = ::read(fd.get(), buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return sys::errno_error("read blob {}", digest);
            if (n == 0) return Error{EIO, fmt::format("read blob {}: file shrank while saving", digest)};
            n = std::min<off_t>(n, left);
            hash.update(buf.data(), static_cast<size_t>(n));
            if (archive_write_data(a_.get(), buf.data(), static_cast<size_t>(n)) != n) return error(a_.get(), "write " + name);
            left -= n;
        }
        if (hash.digest() != digest) return Error{EIO, fmt::format("blob {} is corrupt: its content does not match its digest", digest)};
        return sys::ok();
    }

    Status close() {
        if (archive_write_close(a_.get()) != ARCHIVE_OK) return error(a_.get(), "finish output archive");
        return sys::ok();
    }

private:
    explicit TarOut(WriterPtr a) : a_(std::move(a)) {}

    static EntryPtr make_entry(const std::string& name, unsigned type, unsigned mode, la_int64_t size) {
        EntryPtr e(archive_entry_new());
        archive_entry_set_pathname(e.get(), name.c_str());
        archive_entry_set_filetype(e.get(), type);
        archive_entry_set_perm(e.get(), mode);
        archive_entry_set_size(e.get(), size);
        archive_entry_set_uid(e.get(), 0);
        archive_entry_set_gid(e.get(), 0);
        archive_entry_set_mtime(e.get(), 0, 0);
        return e;
    }

    static Error error(archive* a, const std::string& what) {
        const char* msg = archive_error_string(a);
        return Error{archive_errno(a), fmt::format("{}: {}", what, msg ? msg : "unknown archive error")};
    }

    WriterPtr a_;
};

std::vector<std::string> diff_ids(const Image& image) {
    std::vector<std::string> out;
    for (const auto& d : image.config.value("rootfs", json::object()).value("diff_ids", json::array()))
        if (d.is_string()) out.push_back(d.get<std::string>());
    return out;
}

// In the field order of Go's ocispec.Descriptor, as docker writes it: annotations before platform.
ordered_json manifest_descriptor(const Image& image, size_t manifest_size, const Reference* ref) {
    ordered_json d = {{"mediaType", kManifestType}, {"digest", image.manifest_digest}, {"size", manifest_size}};
    if (ref) d["annotations"] = {{kImageNameAnnotation, ref->full()}, {kRefNameAnnotation, ref->tag}};
    std::string arch = image.config.value("architecture", ""), os = image.config.value("os", "");
    if (!arch.empty() && !os.empty()) d["platform"] = {{"architecture", arch}, {"os", os}};
    return d;
}

// Docker's manifest.json: one item per image, null RepoTags when saved by id (Go's nil slice).
ordered_json docker_manifest_item(const SaveItem& item) {
    ordered_json tags = nullptr;
    for (const auto& ref : item.refs) tags.push_back(ref.familiar());
    ordered_json layers = ordered_json::array();
    for (const auto& diff_id : diff_ids(item.image)) layers.push_back(blob_name(diff_id));
    return {{"Config", blob_name(item.image.id)}, {"RepoTags", tags}, {"Layers", layers}};
}

struct Documents {
    ordered_json index = {{"schemaVersion", 2}, {"mediaType", kIndexType}, {"manifests", ordered_json::array()}};
    ordered_json manifest = ordered_json::array();
    json repositories = json::object();
};

Status add_documents(Documents& docs, const SaveItem& item, size_t manifest_size) {
    docs.manifest.push_back(docker_manifest_item(item));
    auto layers = diff_ids(item.image);
    if (item.refs.empty()) docs.index["manifests"].push_back(manifest_descriptor(item.image, manifest_size, nullptr));
    for (const auto& ref : item.refs) {
        docs.index["manifests"].push_back(manifest_descriptor(item.image, manifest_size, &ref));
        // The legacy file named v1 layer ids, which no longer exist: docker 25 writes the top
        // layer's digest there, and so do we.
        if (!layers.empty()) docs.repositories[ref.familiar_name()][ref.tag] = digest_hex(layers.back());
    }
    return sys::ok();
}

Status write_blobs(TarOut& out, const BlobStore& blobs, const SaveItem& item, std::set<std::string>& written,
                   Documents& docs) {
    auto manifest = blobs.get(item.image.manifest_digest);
    if (!manifest) return manifest.error();
    std::vector<std::string> digests = {item.image.id, item.image.manifest_digest};
    for (const auto& diff_id : diff_ids(item.image)) digests.push_back(diff_id);
    for (const auto& digest : digests) {
        if (!written.insert(digest).second) continue;
        if (auto s = out.blob(blobs, digest); !s) return s;
    }
    return add_documents(docs, item, manifest.value().size());
}

void add_ref(std::vector<SaveItem>& items, const Image& image, const Reference* ref) {
    auto it = std::find_if(items.begin(), items.end(), [&](const SaveItem& i) { return i.image.id == image.id; });
    if (it == items.end()) it = items.insert(items.end(), SaveItem{image, {}});
    if (!ref) return;
    for (const auto& r : it->refs)
        if (r.full() == ref->full()) return;
    it->refs.push_back(*ref);
}

// Every tag of repository `name` (docker save NAME saves them all).
std::vector<std::pair<std::string, Reference>> tags_of(const IndexData& data, const Reference& name) {
    std::vector<std::pair<std::string, Reference>> out;
    for (const auto& [full, manifest] : data.names) {
        auto ref = parse_reference(full);
        if (!ref || !ref.value().digest.empty() || ref.value().name() != name.name()) continue;
        if (std::string id = id_of_manifest(data, manifest); !id.empty()) out.emplace_back(id, ref.value());
    }
    return out;
}

}  // namespace

Result<SaveFormat> parse_save_format(const std::string& text) {
    if (text.empty()) return SaveFormat::kDockerAndOci;
    if (text == "docker") return SaveFormat::kDocker;
    if (text == "oci") return SaveFormat::kOci;
    return Error{EINVAL, fmt::format("invalid save format \"{}\": expected \"docker\" or \"oci\"", text)};
}

Result<std::vector<SaveItem>> resolve_save_items(const ImageStore& store, const std::vector<std::string>& args) {
    auto data = store.index().read();
    if (!data) return data.error();
    std::vector<SaveItem> items;
    for (const auto& arg : args) {
        auto name = parse_reference_name_only(arg);
        if (name && name.value().tag.empty() && name.value().digest.empty()) {
            auto tagged = tags_of(data.value(), name.value());
            for (const auto& [id, ref] : tagged) {
                auto image = store.get(id);
                if (!image) return image.error();
                add_ref(items, image.value(), &ref);
            }
            if (!tagged.empty()) continue;
        }
        auto image = store.get(arg);
        if (!image) return image.error();
        // Saved under the tag it was asked by; by id or digest it is saved without a name.
        auto ref = parse_reference(arg);
        bool by_tag = ref && ref.value().digest.empty() && data.value().names.count(ref.value().full());
        add_ref(items, image.value(), by_tag ? &ref.value() : nullptr);
    }
    return items;
}

Status write_save_archive(const ImageStore& store, const std::vector<SaveItem>& items, int fd, SaveFormat format) {
    auto out = TarOut::open(fd);
    if (!out) return out.error();
    TarOut& tar = out.value();
    for (const char* dir : {"blobs", "blobs/sha256"})
        if (auto s = tar.directory(dir); !s) return s;
    Documents docs;
    std::set<std::string> written;
    for (const auto& item : items)
        if (auto s = write_blobs(tar, store.blobs(), item, written, docs); !s)
            return std::move(s).context("save image " + item.image.id);
    bool oci = format != SaveFormat::kDocker, docker = format != SaveFormat::kOci;
    if (oci)
        if (auto s = tar.file("index.json", docs.index.dump()); !s) return s;
    if (docker)
        if (auto s = tar.file("manifest.json", docs.manifest.dump()); !s) return s;
    if (oci)
        if (auto s = tar.file("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"); !s) return s;
    if (docker && !docs.repositories.empty())
        if (auto s = tar.file("repositories", docs.repositories.dump()); !s) return s;
    return tar.close();
}

}  // namespace engine::image
