#include "engine/image/import.hpp"

#include <sys/utsname.h>

#include <map>

#include "engine/image/changes.hpp"
#include "engine/image/layer_extract.hpp"
#include "engine/sys/clock.hpp"

namespace engine::image {
namespace {

using nlohmann::json;

Result<json> build_config(const ImportRequest& request, const std::string& diff_id) {
    json runtime = json::object();
    for (const auto& change : request.changes)
        if (auto applied = apply_change(runtime, change); !applied) return applied.error();
    std::string created = sys::format_rfc3339_nano(sys::now_ns());
    std::string comment = request.message.empty() ? "Imported from " + request.source : request.message;
    return json{{"architecture", host_architecture()},
                {"os", "linux"},
                {"comment", comment},
                {"created", created},
                {"config", runtime},
                {"rootfs", {{"type", "layers"}, {"diff_ids", json::array({diff_id})}}},
                {"history", json::array({{{"created", created}, {"comment", comment}}})}};
}

}  // namespace

std::string host_architecture() {
    static const std::map<std::string, std::string> kGoArch = {
        {"x86_64", "amd64"}, {"aarch64", "arm64"}, {"armv7l", "arm"}, {"armv6l", "arm"},
        {"i686", "386"},     {"i386", "386"},      {"ppc64le", "ppc64le"},
        {"s390x", "s390x"},  {"riscv64", "riscv64"}};
    utsname u{};
    if (::uname(&u) != 0) return "amd64";
    auto it = kGoArch.find(u.machine);
    return it == kGoArch.end() ? u.machine : it->second;
}

// One lock for the whole store phase: garbage collection must not take the new layer's blob
// between its write and the image that refers to it.
static Result<std::string> store_image(const ImageStore& store, int fd, const ImportRequest& request) {
    auto held = store.index().lock();
    if (!held) return held.error();
    auto diff_id = store_uncompressed(fd, store.blobs());
    if (!diff_id) return diff_id.error();
    auto unpacked = store.layers().ensure(diff_id.value(), store.blobs().path(diff_id.value()));
    if (!unpacked) {
        (void)store.collect_garbage(held.value());  // drops the now unreferenced tar blob
        return unpacked.error();
    }
    auto config = build_config(request, diff_id.value());
    if (!config) return config.error();
    return store.add_image(held.value(), config.value());
}

Result<std::string> import_image(const ImageStore& store, int fd, const ImportRequest& request) {
    // Validate the changes before reading what may be a long stream.
    json probe = json::object();
    for (const auto& change : request.changes)
        if (auto applied = apply_change(probe, change); !applied) return applied.error();
    auto id = store_image(store, fd, request);
    if (!id) return id.error();
    if (request.ref)
        if (auto tagged = store.tag(id.value(), *request.ref); !tagged) return tagged.error();
    return id;
}

}  // namespace engine::image
