#include "engine/runtime/process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>

#include "engine/runtime/security.hpp"
#include "engine/runtime/user.hpp"
#include "engine/sys/files.hpp"

namespace engine::runtime {
namespace {

std::string read_or_empty(const char* path) {
    auto text = sys::read_file(path);
    return text ? text.value() : std::string();
}

Status set_rlimits(const std::vector<Rlimit>& rlimits) {
    for (const auto& r : rlimits) {
        int resource = rlimit_resource(r.name);
        if (resource < 0) return Error{EINVAL, fmt::format("unknown ulimit \"{}\"", r.name)};
        rlimit limit{static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
        if (::setrlimit(resource, &limit) != 0) return sys::errno_error("set ulimit {}", r.name);
    }
    return sys::ok();
}

Status switch_user(const ExecUser& user) {
    // Keep the permitted set across setuid; apply_capabilities then sets the final sets.
    if (::prctl(PR_SET_KEEPCAPS, 1) != 0) return sys::errno_error("keep capabilities");
    if (::setgroups(user.groups.size(), user.groups.data()) != 0) return sys::errno_error("setgroups");
    if (::setresgid(user.gid, user.gid, user.gid) != 0) return sys::errno_error("setgid {}", user.gid);
    if (::setresuid(user.uid, user.uid, user.uid) != 0) return sys::errno_error("setuid {}", user.uid);
    if (::prctl(PR_SET_KEEPCAPS, 0) != 0) return sys::errno_error("reset keep capabilities");
    return sys::ok();
}

bool is_executable(const std::string& path) {
    struct stat st{};
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

// Docker's WorkingDir is created when missing (as root, before the user switch).
Status make_cwd(const std::string& cwd) {
    struct stat st{};
    if (::stat(cwd.c_str(), &st) == 0) return sys::ok();
    return sys::make_dirs(cwd, 0755).context("create working directory " + cwd);
}

Status load_seccomp(const ProcessPlan& plan) {
    if (plan.seccomp_program) return load_seccomp_program(*plan.seccomp_program);
    return apply_seccomp(plan.seccomp, plan.capabilities);
}

constexpr int kForwarded[] = {SIGTERM, SIGINT,  SIGHUP,  SIGQUIT, SIGUSR1,  SIGUSR2,
                              SIGWINCH, SIGCONT, SIGTSTP, SIGALRM, SIGTTIN, SIGTTOU};

}  // namespace

sigset_t forwarded_signals() {
    sigset_t watched;
    ::sigemptyset(&watched);
    ::sigaddset(&watched, SIGCHLD);
    for (int sig : kForwarded) ::sigaddset(&watched, sig);
    return watched;
}

// As tini does. Written by hand: it is a few lines, and for --init it must not be a file the
// container could see or replace.
void forward_until_exit(pid_t program, const sigset_t& watched) {
    for (;;) {
        siginfo_t info{};
        if (::sigwaitinfo(&watched, &info) < 0) continue;
        if (info.si_signo != SIGCHLD) {
            ::kill(program, info.si_signo);
            continue;
        }
        int status = 0;
        for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
            if (pid != program) continue;
            ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
        }
    }
}

namespace {

// --init: pid 1 stays behind, reaps every orphan and forwards signals to the program.
Status fork_behind_init() {
    sigset_t watched = forwarded_signals();
    sigset_t previous;
    ::sigprocmask(SIG_BLOCK, &watched, &previous);
    pid_t program = ::fork();
    if (program < 0) return sys::errno_error("fork the program behind --init");
    if (program > 0) {
        ::prctl(PR_SET_DUMPABLE, 0);
        for (int fd = 0; fd < 3; ++fd) ::close(fd);
        ::close_range(3, ~0U, 0);
        forward_until_exit(program, watched);
    }
    ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    return sys::ok();
}

}  // namespace

int rlimit_resource(const std::string& name) {
    static const std::map<std::string, int> kNames = {
        {"as", RLIMIT_AS},           {"core", RLIMIT_CORE},       {"cpu", RLIMIT_CPU},
        {"data", RLIMIT_DATA},       {"fsize", RLIMIT_FSIZE},     {"locks", RLIMIT_LOCKS},
        {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
        {"nofile", RLIMIT_NOFILE},   {"nproc", RLIMIT_NPROC},     {"rss", RLIMIT_RSS},
        {"rtprio", RLIMIT_RTPRIO},   {"rttime", RLIMIT_RTTIME},   {"sigpending", RLIMIT_SIGPENDING},
        {"stack", RLIMIT_STACK}};
    auto it = kNames.find(name);
    return it == kNames.end() ? -1 : it->second;
}

Status read_seccomp_program(const std::string& file, ProcessPlan& plan) {
    if (file.empty()) return sys::ok();
    auto program = sys::read_file(file);
    if (!program) return program.error();
    plan.seccomp_program = program.value();
    return sys::ok();
}

Result<ProcessPlan> plan_of(const ContainerSpec& spec) {
    ProcessPlan plan{spec.args,      spec.env,     spec.cwd,          spec.user,
                     spec.group_add, spec.rlimits, spec.capabilities, spec.no_new_privileges,
                     spec.seccomp,   std::nullopt, spec.init};
    if (auto s = read_seccomp_program(spec.seccomp_program_file, plan); !s) return s.error();
    return plan;
}

Result<ProcessPlan> plan_of(const ExecSpec& spec) {
    ProcessPlan plan;
    plan.args = spec.args;
    plan.env = spec.env;
    plan.cwd = spec.cwd;
    plan.user = spec.user;
    plan.capabilities = spec.capabilities;
    plan.no_new_privileges = spec.no_new_privileges;
    plan.seccomp = spec.seccomp;
    if (auto s = read_seccomp_program(spec.seccomp_program_file, plan); !s) return s.error();
    return plan;
}

Result<Pty> open_pty(unsigned short rows, unsigned short cols) {
    Pty pty;
    pty.master.reset(::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.master) return sys::errno_error("open /dev/ptmx");
    char name[64];
    if (::unlockpt(pty.master.get()) != 0 || ::ptsname_r(pty.master.get(), name, sizeof name) != 0)
        return sys::errno_error("set up a pty");
    pty.name = name;
    if (rows > 0 && cols > 0) {
        winsize ws{};
        ws.ws_row = rows;
        ws.ws_col = cols;
        ::ioctl(pty.master.get(), TIOCSWINSZ, &ws);
    }
    pty.replica.reset(::open(name, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!pty.replica) return sys::errno_error("open {}", pty.name);
    return pty;
}

Status adopt_stdio(int in, int out, int err, bool terminal) {
    // Move all three above 2 first so that no dup2 overwrites a source still needed.
    int fds[3] = {in, out, err};
    for (int& fd : fds) {
        fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) return sys::errno_error("duplicate the container's stdio");
    }
    for (int target = 0; target < 3; ++target)
        if (::dup2(fds[target], target) < 0) return sys::errno_error("set up stdio fd {}", target);
    for (int fd : fds) ::close(fd);
    if (::setsid() < 0) return sys::errno_error("setsid");
    if (terminal && ::ioctl(0, TIOCSCTTY, 0) != 0) return sys::errno_error("set controlling terminal");
    return sys::ok();
}

Error exec_process(const ProcessPlan& plan) {
    if (plan.args.empty()) return Error{EINVAL, "no command specified"};
    auto user = resolve_user(plan.user, plan.group_add, read_or_empty("/etc/passwd"),
                             read_or_empty("/etc/group"));
    if (!user) return user.error();
    std::vector<std::string> env = plan.env;
    if (env_value(env, "HOME").empty()) env.push_back("HOME=" + user.value().home);
    if (auto s = make_cwd(plan.cwd); !s) return s.error();
    if (auto s = set_rlimits(plan.rlimits); !s) return s.error();
    // Everything but stdio and the sync channel (itself close-on-exec) is closed by execve:
    // no host fd reaches the container (the CVE-2024-21626 lesson).
    if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) return sys::errno_error("mark fds close-on-exec");
    if (plan.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return sys::errno_error("set no_new_privs");
    // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it before dropping caps.
    if (!plan.no_new_privileges)
        if (auto s = load_seccomp(plan); !s) return s.error();
    if (auto s = switch_user(user.value()); !s) return s.error();
    if (auto s = apply_capabilities(plan.capabilities); !s) return s.error();
    if (plan.no_new_privileges)
        if (auto s = load_seccomp(plan); !s) return s.error();
    if (::chdir(plan.cwd.c_str()) != 0) return sys::errno_error("chdir to cwd (\"{}\")", plan.cwd);
    auto path = find_executable(plan.args[0], env_value(env, "PATH"), is_executable);
    if (!path) return path.error();
    if (plan.init)
        if (auto s = fork_behind_init(); !s) return s.error();
    auto argv = c_strings(plan.args);
    auto envp = c_strings(env);
    ::execve(path.value().c_str(), argv.data(), envp.data());
    return sys::errno_error("exec: \"{}\"", plan.args[0]);
}

}  // namespace engine::runtime
