#include "engine/container/rootfs_access.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine/sys/unique_fd.hpp"

namespace engine::container {
namespace {

Status enter_running(pid_t pid) {
    std::string ns = "/proc/" + std::to_string(pid) + "/ns/mnt";
    sys::UniqueFd fd{::open(ns.c_str(), O_RDONLY | O_CLOEXEC)};
    if (!fd) return sys::errno_error("open {}", ns);
    // Joining a mount namespace makes its root our root and cwd.
    if (::setns(fd.get(), CLONE_NEWNS) != 0) return sys::errno_error("join mount namespace of {}", pid);
    return sys::ok();
}

Status enter_stopped(const RootfsLocation& where) {
    if (::unshare(CLONE_NEWNS) != 0) return sys::errno_error("unshare mount namespace");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
        return sys::errno_error("make / private");
    // The upper dir as the top lower layer: its whiteouts hide what the container deleted.
    std::string lower = where.upper_dir;
    for (const auto& d : where.layer_dirs) lower += ":" + d;
    std::string options = "lowerdir=" + lower;
    if (where.layer_dirs.empty()) {
        if (::mount(where.upper_dir.c_str(), where.mount_point.c_str(), nullptr, MS_BIND | MS_RDONLY, nullptr) != 0)
            return sys::errno_error("bind {} on {}", where.upper_dir, where.mount_point);
    } else if (::mount("overlay", where.mount_point.c_str(), "overlay", MS_RDONLY, options.c_str()) != 0) {
        return sys::errno_error("mount overlay on {}", where.mount_point);
    }
    if (::chroot(where.mount_point.c_str()) != 0) return sys::errno_error("chroot {}", where.mount_point);
    if (::chdir("/") != 0) return sys::errno_error("chdir /");
    return sys::ok();
}

void send_error(int fd, const Error& e) {
    std::string text = std::to_string(e.sys_errno) + " " + e.message;
    (void)!::write(fd, text.data(), text.size());
}

}  // namespace

Status in_container_root(const RootfsLocation& where, const std::function<Status()>& fn) {
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return sys::errno_error("pipe");
    sys::UniqueFd read_end{pipe_fds[0]}, write_end{pipe_fds[1]};
    pid_t child = ::fork();
    if (child < 0) return sys::errno_error("fork");
    if (child == 0) {
        read_end.reset();
        Status entered = where.running_pid > 0 ? enter_running(where.running_pid) : enter_stopped(where);
        Status done = entered ? fn() : entered;
        if (!done) send_error(write_end.get(), done.error());
        ::_exit(done ? 0 : 1);
    }
    write_end.reset();
    std::string message;
    char buf[4096];
    for (ssize_t n; (n = ::read(read_end.get(), buf, sizeof buf)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        message.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return sys::ok();
    if (message.empty()) return Error{EIO, "container filesystem access: helper process failed"};
    auto space = message.find(' ');
    return Error{std::atoi(message.substr(0, space).c_str()), message.substr(space + 1)};
}

}  // namespace engine::container
