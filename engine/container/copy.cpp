#include "engine/container/copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "engine/container/archive.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::container {
namespace {

struct PathState {
    bool exists = false;
    bool is_dir = false;
};

// A copy's source is the link itself when it is one (docker cp); a destination is followed.
PathState state_of(const std::string& path, bool follow = true) {
    struct stat st{};
    if ((follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st)) != 0) return {};
    return {true, S_ISDIR(st.st_mode)};
}

// Runs `fn` in the container's root and passes back what it found about `path`.
Result<PathState> state_in(const RootfsLocation& where, const std::string& path, bool follow) {
    PathState found;
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return sys::errno_error("pipe");
    sys::UniqueFd read_end(fds[0]), write_end(fds[1]);
    auto status = in_container_root(where, [&] {
        PathState s = state_of(path, follow);
        char bytes[2] = {static_cast<char>(s.exists), static_cast<char>(s.is_dir)};
        (void)!::write(write_end.get(), bytes, 2);
        return sys::ok();
    });
    if (!status) return status.error();
    char bytes[2] = {0, 0};
    (void)!::read(read_end.get(), bytes, 2);
    return PathState{bytes[0] != 0, bytes[1] != 0};
}

// The two ends of a tar stream run at once: the producer on a thread writes into a pipe the
// consumer reads (the in-container side is a forked child either way).
Status stream(const std::function<Status(int)>& produce, const std::function<Status(int)>& consume) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return sys::errno_error("pipe");
    sys::UniqueFd read_end(fds[0]), write_end(fds[1]);
    Status produced = sys::ok();
    std::thread producer([&] {
        produced = produce(write_end.get());
        write_end.reset();
    });
    Status consumed = consume(read_end.get());
    read_end.reset();  // a consumer that failed early must not leave the producer blocked
    producer.join();
    if (!produced) return produced;
    return consumed;
}

std::string container_path(const std::string& path) {
    return path.empty() || path[0] != '/' ? "/" + path : path;
}

}  // namespace

Result<RootfsLocation> rootfs_location(const Containers& engine, const std::string& ref, bool live) {
    auto record = engine.find(ref);
    if (!record) return record.error();
    auto image = engine.images().get(record.value().image_id);
    if (!image) return image.error();
    RootfsLocation where;
    std::string dir = engine.dir(record.value());
    where.upper_dir = dir + "/upper";
    where.layer_dirs = image.value().layer_dirs;
    where.mount_point = dir + "/rootfs";
    if (live) {
        auto state = engine.state(record.value());
        if (state.running) where.running_pid = state.pid;
    }
    return where;
}

Status export_rootfs(const Containers& engine, const std::string& ref, int fd) {
    auto where = rootfs_location(engine, ref, false);
    if (!where) return where.error();
    return in_container_root(where.value(), [fd] { return write_tar(fd, "/", ""); });
}

Status copy_from_container(const Containers& engine, const std::string& ref, const std::string& src,
                           const std::string& dest, int stream_fd) {
    auto where = rootfs_location(engine, ref, true);
    if (!where) return where.error();
    std::string path = container_path(src);
    auto source = state_in(where.value(), path, false);
    if (!source) return source.error();
    if (!source.value().exists)
        return Error{ENOENT, fmt::format("Could not find the file {} in container {}", path, ref)};
    if (dest == "-") {
        std::string name = path == "/" ? "" : path.substr(path.find_last_of('/') + 1);
        return in_container_root(where.value(), [&] { return write_tar(stream_fd, path, name); });
    }
    PathState target = state_of(dest);
    auto plan = plan_copy({src, source.value().is_dir, dest, target.exists, target.is_dir});
    if (!plan) return plan.error();
    return stream([&](int fd) { return in_container_root(where.value(), [&] { return write_tar(fd, path, plan.value().name); }); },
                  [&](int fd) { return extract_tar(fd, plan.value().dir); });
}

Status copy_to_container(const Containers& engine, const std::string& ref, const std::string& src,
                         const std::string& dest, int stream_fd) {
    auto where = rootfs_location(engine, ref, true);
    if (!where) return where.error();
    std::string path = container_path(dest);
    auto target = state_in(where.value(), path, true);
    if (!target) return target.error();
    if (src == "-") {
        if (!target.value().is_dir)
            return Error{ENOTDIR, fmt::format("destination \"{}\" must be a directory", path)};
        return in_container_root(where.value(), [&] { return extract_tar(stream_fd, path); });
    }
    PathState source = state_of(src, false);
    if (!source.exists) return Error{ENOENT, fmt::format("stat {}: no such file or directory", src)};
    auto plan = plan_copy({src, source.is_dir, path, target.value().exists, target.value().is_dir});
    if (!plan) return plan.error();
    return stream([&](int fd) { return write_tar(fd, src, plan.value().name); },
                  [&](int fd) { return in_container_root(where.value(), [&] { return extract_tar(fd, plan.value().dir); }); });
}

}  // namespace engine::container
