#include "engine/runtime/launcher.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/devices.hpp"
#include "engine/runtime/process.hpp"
#include "engine/runtime/rootfs.hpp"
#include "engine/runtime/sync.hpp"
#include "engine/sys/files.hpp"

namespace engine::runtime {
namespace {

struct SyncPair {
    sys::UniqueFd parent, child;
};

Result<SyncPair> sync_pair() {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        return sys::errno_error("create the setup channel");
    return SyncPair{sys::UniqueFd(fds[0]), sys::UniqueFd(fds[1])};
}

// fork() with namespaces: the raw syscall, as the child continues on the caller's stack.
pid_t clone_with(unsigned long flags) {
    return static_cast<pid_t>(::syscall(SYS_clone, flags | SIGCHLD, nullptr, nullptr, nullptr, 0));
}

Status write_text(const std::string& path, const std::string& text) {
    sys::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
        return sys::errno_error("write {}", path);
    return sys::ok();
}

Status set_sysctls(const ContainerSpec& spec) {
    for (const auto& [key, value] : spec.sysctls) {
        std::string path = "/proc/sys/" + key;
        for (size_t i = 10; i < path.size(); ++i)
            if (path[i] == '.') path[i] = '/';
        if (auto s = write_text(path, value); !s) return std::move(s).context("sysctl " + key);
    }
    return sys::ok();
}

Status join_netns(const std::string& path) {
    sys::UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) return sys::errno_error("open network namespace {}", path);
    if (::setns(ns.get(), CLONE_NEWNET) != 0) return sys::errno_error("join network namespace {}", path);
    return sys::ok();
}

Status set_identity(const ContainerSpec& spec) {
    if (::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
        return sys::errno_error("set hostname \"{}\"", spec.hostname);
    if (!spec.domainname.empty() && ::setdomainname(spec.domainname.data(), spec.domainname.size()) != 0)
        return sys::errno_error("set domainname \"{}\"", spec.domainname);
    return write_text("/proc/self/oom_score_adj", std::to_string(spec.oom_score_adj));
}

// The container's terminal, made after pivot_root in its own devpts: /dev/pts/0 inside, also
// bound on /dev/console; its controlling side goes to the parent over the setup channel.
Result<int> make_console(const Stdio& stdio, int sync_fd) {
    auto pty = open_pty(stdio.rows, stdio.cols);
    if (!pty) return pty.error();
    int console = ::open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (console >= 0) ::close(console);
    if (::mount(pty.value().name.c_str(), "/dev/console", nullptr, MS_BIND, nullptr) != 0)
        return sys::errno_error("bind {} on /dev/console", pty.value().name);
    if (auto s = sync::send_console(sync_fd, pty.value().master.get()); !s) return s.error();
    return pty.value().replica.release();
}

// The container's first process, before the parent's go: what does not depend on its cgroups
// runs while the parent moves it into them, as that move can wait for an RCU grace period (the
// first cgroup v1 cgroup.procs write after a quiet spell, ~10 ms). Returns the new root.
Result<sys::UniqueFd> setup_before_cgroups(const ContainerSpec& spec, const Stdio& stdio) {
    if (!spec.netns_path.empty())
        if (auto s = join_netns(spec.netns_path); !s) return s.error();
    if (!stdio.console)
        if (auto s = adopt_stdio(stdio.in, stdio.out, stdio.err, spec.terminal); !s) return s.error();
    return prepare_rootfs_early(spec, spec.terminal && !stdio.console ? 0 : -1);
}

// After the go, in its cgroups: the cgroup namespace (rooted at them), then up to execve.
Error become_container(const ContainerSpec& spec, const ProcessPlan& plan, const Stdio& stdio,
                       int root_fd, int sync_fd) {
    if (::unshare(CLONE_NEWCGROUP) != 0) return sys::errno_error("create cgroup namespace");
    if (auto s = finish_rootfs(spec, root_fd); !s) return s.error();
    if (stdio.console) {
        auto console = make_console(stdio, sync_fd);
        if (!console) return console.error();
        if (auto s = adopt_stdio(console.value(), console.value(), console.value(), true); !s) return s.error();
        ::close(console.value());
    }
    if (auto s = set_identity(spec); !s) return s.error();
    if (auto s = set_sysctls(spec); !s) return s.error();
    if (auto s = apply_path_restrictions(spec); !s) return s.error();
    return exec_process(plan);
}

unsigned long namespaces_of(const ContainerSpec& spec) {
    unsigned long flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC;
    if (!spec.host_network && spec.netns_path.empty()) flags |= CLONE_NEWNET;
    return flags;
}

Status prepare_dirs(const ContainerSpec& spec) {
    // The upper dir's mode is the container root's mode.
    for (const auto* dir : {&spec.rootfs_dir, &spec.upper_dir, &spec.work_dir})
        if (!dir->empty())
            if (auto s = sys::make_dirs(*dir, dir == &spec.work_dir ? 0700 : 0755); !s) return s;
    return sys::ok();
}

void reap(pid_t pid) {
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace

Result<Launched> launch(const ContainerSpec& spec, const Stdio& stdio) {
    if (auto s = prepare_dirs(spec); !s) return s.error();
    auto plan = plan_of(spec);
    if (!plan) return plan.error();
    auto cgroup = open_cgroup(spec.cgroup_parent, spec.id);
    if (auto s = cgroup->create(spec.resources); !s) return s.error();
    auto channel = sync_pair();
    if (!channel) return channel.error();
    pid_t pid = clone_with(namespaces_of(spec));
    if (pid < 0) {
        auto error = sys::errno_error("clone the container process");
        (void)cgroup->destroy();
        return error;
    }
    if (pid == 0) {
        channel.value().parent.reset();
        int fd = channel.value().child.get();
        auto root = setup_before_cgroups(spec, stdio);
        // A failure waits for the go too: the parent is still moving this (live) process.
        if (sync::wait_go(fd))
            sync::send_error(fd, root ? become_container(spec, plan.value(), stdio, root.value().get(), fd)
                                      : root.error());
        ::_exit(127);
    }
    channel.value().child.reset();
    int fd = channel.value().parent.get();
    Status started = cgroup->add(pid);
    if (started) started = restrict_devices(spec.cgroup_parent, spec.id, pid, spec.privileged);
    if (started) sync::send(fd, sync::Kind::kGo);
    int console = -1;
    if (started) started = sync::wait_exec(fd, nullptr, &console);
    if (!started) {
        ::kill(pid, SIGKILL);
        reap(pid);
        (void)cgroup->destroy();
        remove_device_cgroup(spec.cgroup_parent, spec.id);
        if (console >= 0) ::close(console);
        return started.error();
    }
    return Launched{pid, spec.cgroup_parent + "/" + spec.id, console};
}

Status destroy_cgroup(const ContainerSpec& spec) { return destroy_cgroup(spec.cgroup_parent, spec.id); }

Status destroy_cgroup(const std::string& parent, const std::string& id) {
    remove_device_cgroup(parent, id);
    return open_cgroup(parent, id)->destroy();
}

}  // namespace engine::runtime
