#include "engine/container/commit.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "engine/container/archive.hpp"
#include "engine/image/changes.hpp"
#include "engine/image/layer_extract.hpp"
#include "engine/sys/clock.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::container {
namespace {

using nlohmann::json;

// The new image's config: the parent's, with the container's runtime config (and the changes)
// and one more layer and history entry, as docker commit writes it.
Result<json> committed_config(const ContainerRecord& record, const image::Image& parent,
                              const std::string& diff_id, const CommitRequest& request) {
    json config = parent.config;
    json runtime = record.config;
    runtime.erase("Image");
    for (const auto& change : request.changes)
        if (auto applied = image::apply_change(runtime, change); !applied) return applied.error();
    std::string created = sys::format_rfc3339_nano(sys::now_ns());
    std::string command = record.path;
    for (const auto& a : record.args) command += " " + a;
    config["config"] = runtime;
    config["created"] = created;
    config["container"] = record.id;
    if (!request.author.empty()) config["author"] = request.author;
    else config.erase("author");
    config["comment"] = request.message;
    config["rootfs"]["diff_ids"].push_back(diff_id);
    json entry = {{"created", created}, {"created_by", command}};
    if (!request.author.empty()) entry["author"] = request.author;
    if (!request.message.empty()) entry["comment"] = request.message;
    config["history"].push_back(entry);
    return config;
}

// The writable layer streamed into the blob store: the tar is written by a thread into a pipe.
Result<std::string> store_layer(const image::ImageStore& images, const std::string& upper_dir) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return sys::errno_error("pipe");
    sys::UniqueFd read_end(fds[0]), write_end(fds[1]);
    Status written = sys::ok();
    std::thread writer([&] {
        written = write_layer_tar(write_end.get(), upper_dir);
        write_end.reset();
    });
    auto diff_id = image::store_uncompressed(read_end.get(), images.blobs());
    read_end.reset();
    writer.join();
    if (!written) return written.error();
    return diff_id;
}

// Stores the layer (thawing a frozen container as soon as it has been read) and registers the
// image, all under the store's lock so that garbage collection cannot take the new blob.
Result<std::string> add_committed_image(Containers& engine, const ContainerRecord& record,
                                        const image::Image& parent, const CommitRequest& request,
                                        bool thaw) {
    const auto& images = engine.images();
    auto held = images.index().lock();
    Result<std::string> diff_id = held ? store_layer(images, engine.dir(record) + "/upper")
                                       : Result<std::string>(held.error());
    if (thaw) (void)engine.unpause(record.id);
    if (!diff_id) return diff_id.error();
    auto unpacked = images.layers().ensure(diff_id.value(), images.blobs().path(diff_id.value()));
    if (!unpacked) return unpacked.error();
    auto config = committed_config(record, parent, diff_id.value(), request);
    if (!config) return config.error();
    return images.add_image(held.value(), config.value());
}

}  // namespace

Result<std::string> commit_container(Containers& engine, const std::string& ref, const CommitRequest& request) {
    auto record = engine.find(ref);
    if (!record) return record.error();
    auto parent = engine.images().get(record.value().image_id);
    if (!parent) return parent.error();
    json probe = json::object();
    for (const auto& change : request.changes)
        if (auto applied = image::apply_change(probe, change); !applied) return applied.error();
    auto state = engine.state(record.value());
    bool freeze = request.pause && state.running && !state.paused;
    if (freeze)
        if (auto paused = engine.pause(record.value().id); !paused) return paused.error();
    auto id = add_committed_image(engine, record.value(), parent.value(), request, freeze);
    if (!id) return id.error();
    if (request.ref)
        if (auto tagged = engine.images().tag(id.value(), *request.ref); !tagged) return tagged.error();
    return id;
}

}  // namespace engine::container
