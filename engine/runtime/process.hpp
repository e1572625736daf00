#pragma once

// The last steps before execve, shared by a container's first process and by exec: identity,
// working directory, limits, capabilities, seccomp, fd hygiene. Runs in a child that already
// sees the container's filesystem as its root. Returns only on error.

#include <signal.h>

#include <optional>
#include <string>
#include <vector>

#include "engine/runtime/container_spec.hpp"
#include "engine/sys/result.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::runtime {

struct ProcessPlan {
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::string user;
    std::vector<std::string> group_add;
    std::vector<Rlimit> rlimits;
    std::vector<std::string> capabilities;
    bool no_new_privileges = false;
    std::string seccomp = "default";
    std::optional<std::string> seccomp_program;  ///< precompiled (read before entering the container)
    bool init = false;  ///< stay as a zombie-reaping pid 1 and run args as its child
};

/// The plan for a spec; a cached seccomp program is read here, while the host's files are visible.
Result<ProcessPlan> plan_of(const ContainerSpec& spec);
Result<ProcessPlan> plan_of(const ExecSpec& spec);

/// Makes stdio the process's 0, 1, 2 and starts a new session; with a terminal, fd 0 (a pty
/// replica) becomes the controlling terminal.
Status adopt_stdio(int in, int out, int err, bool terminal);

/// A pty from the devpts behind "/dev/ptmx" as this process sees it (the container's, once in
/// its mount namespace), sized when rows and cols are given; the replica is opened too.
struct Pty {
    sys::UniqueFd master, replica;
    std::string name;  ///< the replica's path, /dev/pts/N
};
Result<Pty> open_pty(unsigned short rows, unsigned short cols);

/// Becomes the planned process (execve). Returns only the error of the step that failed.
Error exec_process(const ProcessPlan& plan);

/// The signals a parent standing in for its program passes on (tini's set), plus SIGCHLD.
sigset_t forwarded_signals();

/// Waits for `program`, passing on the signals of `watched` (blocked by the caller before it
/// forked) and reaping any other child; exits as `program` did (128+signal when killed).
[[noreturn]] void forward_until_exit(pid_t program, const sigset_t& watched);

/// The rlimit resource for docker's --ulimit name ("nofile" → RLIMIT_NOFILE), or -1.
int rlimit_resource(const std::string& name);

}  // namespace engine::runtime
