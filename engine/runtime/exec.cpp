// launch_exec: a new process inside a running container (docker exec). The caller's child joins
// the container's cgroups and namespaces, then clones the process with CLONE_PARENT so that it is
// the caller's own child (for waitpid) while living in the container's pid namespace.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/launcher.hpp"
#include "engine/runtime/process.hpp"
#include "engine/runtime/rootfs.hpp"
#include "engine/runtime/sync.hpp"
#include "engine/sys/files.hpp"

namespace engine::runtime {
namespace {

Status join_cgroups(pid_t target) {
    auto dirs = cgroup_dirs_of(target);
    if (!dirs) return dirs.error();
    std::string self = std::to_string(::getpid());
    for (const auto& dir : dirs.value()) {
        sys::UniqueFd procs(::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
        if (!procs && errno == ENOENT) continue;  // a hierarchy berth does not use
        if (!procs || ::write(procs.get(), self.data(), self.size()) < 0)
            return sys::errno_error("join cgroup {}", dir);
    }
    return sys::ok();
}

Status join_namespaces(pid_t target) {
    // The mount namespace last: after it, /proc is the container's.
    const std::pair<const char*, int> kinds[] = {{"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
                                                 {"uts", CLONE_NEWUTS},       {"net", CLONE_NEWNET},
                                                 {"pid", CLONE_NEWPID},       {"mnt", CLONE_NEWNS}};
    std::vector<sys::UniqueFd> fds;
    for (const auto& [name, type] : kinds) {
        std::string path = "/proc/" + std::to_string(target) + "/ns/" + name;
        fds.emplace_back(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fds.back()) return sys::errno_error("open namespace {}", path);
    }
    for (size_t i = 0; i < fds.size(); ++i)
        if (::setns(fds[i].get(), kinds[i].second) != 0)
            return sys::errno_error("join {} namespace of {}", kinds[i].first, target);
    return sys::ok();
}

Status enter_container(pid_t target) {
    // Not dumpable: nothing in the container may open this (host) binary through /proc.
    ::prctl(PR_SET_DUMPABLE, 0);
    Status joined = join_cgroups(target);
    if (joined) joined = join_namespaces(target);
    return joined;
}

[[noreturn]] void run_helper(const ExecSpec& spec, pid_t target, const Stdio& stdio, int fd) {
    auto plan = plan_of(spec);
    Status joined = plan ? enter_container(target) : Status(plan.error());
    if (!joined) {
        sync::send_error(fd, joined.error());
        ::_exit(1);
    }
    pid_t pid = static_cast<pid_t>(::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, 0));
    if (pid < 0) sync::send_error(fd, sys::errno_error("clone the exec process"));
    if (pid > 0) sync::send(fd, sync::Kind::kPid, std::to_string(pid));
    if (pid != 0) ::_exit(pid < 0 ? 1 : 0);
    Status ready = adopt_stdio(stdio.in, stdio.out, stdio.err, spec.terminal);
    sync::send_error(fd, ready ? exec_process(plan.value()) : ready.error());
    ::_exit(127);
}

constexpr int kSpecFd = 3;
constexpr int kSyncFd = 4;

Result<ExecSpec> read_exec_spec(int fd) {
    std::string text;
    char buf[4096];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<size_t>(n));
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) return Error{EINVAL, "exec helper: malformed exec spec"};
    return parsed.get<ExecSpec>();
}


}  // namespace

int exec_helper_main(pid_t target) {
    auto spec = read_exec_spec(kSpecFd);
    ::close(kSpecFd);
    auto plan = spec ? plan_of(spec.value()) : Result<ProcessPlan>(spec.error());
    Status entered = plan ? enter_container(target) : Status(plan.error());
    if (!entered) {
        sync::send_error(kSyncFd, entered.error());
        return 125;
    }
    // A terminal comes from the container's own devpts; its controlling side goes to the caller.
    if (spec.value().terminal) {
        auto pty = open_pty(spec.value().console_rows, spec.value().console_cols);
        Status passed = pty ? sync::send_console(kSyncFd, pty.value().master.get()) : Status(pty.error());
        if (!passed) {
            sync::send_error(kSyncFd, passed.error());
            return 125;
        }
        for (int fd = 0; fd < 3; ++fd) ::dup2(pty.value().replica.get(), fd);
    }
    sigset_t all;
    ::sigfillset(&all);
    sigset_t previous;
    ::sigprocmask(SIG_BLOCK, &all, &previous);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::sigprocmask(SIG_SETMASK, &previous, nullptr);
        Status ready = adopt_stdio(0, 1, 2, spec.value().terminal);
        sync::send_error(kSyncFd, ready ? exec_process(plan.value()) : ready.error());
        ::_exit(127);
    }
    if (pid < 0) sync::send_error(kSyncFd, sys::errno_error("fork the exec process"));
    ::close(kSyncFd);
    // Our copies of the stdio would keep a pty open after the process ends.
    int null = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) ::dup2(null, fd);
    if (null > 2) ::close(null);
    if (pid < 0) return 125;
    // The helper ends as the process does, passing on the signals its caller sends.
    forward_until_exit(pid, forwarded_signals());
}

Result<ExecStarted> launch_exec_via(const std::string& helper_binary, const ExecSpec& spec,
                                    pid_t target_pid, const Stdio& stdio) {
    int spec_pipe[2], channel[2];
    if (::pipe2(spec_pipe, O_CLOEXEC) != 0) return sys::errno_error("create the exec spec pipe");
    sys::UniqueFd spec_read(spec_pipe[0]), spec_write(spec_pipe[1]);
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, channel) != 0)
        return sys::errno_error("create the exec setup channel");
    sys::UniqueFd parent(channel[0]), child(channel[1]);
    std::string target = std::to_string(target_pid);
    pid_t helper = ::fork();
    if (helper < 0) return sys::errno_error("fork the exec helper");
    if (helper == 0) {
        // Every source fd is first moved above the fixed slots, so no dup2 clobbers another.
        int moved[5] = {stdio.in, stdio.out, stdio.err, spec_read.get(), child.get()};
        for (int& fd : moved) fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 10);
        for (int slot = 0; slot < 5; ++slot) ::dup2(moved[slot], slot);  // dup2 clears CLOEXEC
        const char* argv[] = {"berth-shim", "exec", target.c_str(), nullptr};
        ::execv(helper_binary.c_str(), const_cast<char**>(argv));
        sync::send_error(kSyncFd, sys::errno_error("run the exec helper {}", helper_binary));
        ::_exit(125);
    }
    spec_read.reset();
    child.reset();
    std::string text = nlohmann::json(spec).dump();
    (void)!::write(spec_write.get(), text.data(), text.size());
    spec_write.reset();
    int console = -1;
    Status started = sync::wait_exec(parent.get(), nullptr, &console);
    if (!started) {
        while (::waitpid(helper, nullptr, 0) < 0 && errno == EINTR) {
        }
        if (console >= 0) ::close(console);
        return started.error();
    }
    return ExecStarted{helper, console};
}

Result<pid_t> launch_exec(const ExecSpec& spec, pid_t target_pid, const Stdio& stdio) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0)
        return sys::errno_error("create the exec setup channel");
    sys::UniqueFd parent(fds[0]), child(fds[1]);
    pid_t helper = ::fork();
    if (helper < 0) return sys::errno_error("fork the exec helper");
    if (helper == 0) {
        parent.reset();
        run_helper(spec, target_pid, stdio, child.get());
    }
    child.reset();
    pid_t pid = -1;
    Status started = sync::wait_exec(parent.get(), &pid);
    while (::waitpid(helper, nullptr, 0) < 0 && errno == EINTR) {
    }
    if (!started) {
        if (pid > 0) ::waitpid(pid, nullptr, 0);
        return started.error();
    }
    return pid;
}

}  // namespace engine::runtime
