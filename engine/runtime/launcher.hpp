#pragma once

// The launcher turns a ContainerSpec into a running, isolated process. It is called by the shim
// (engine/shim), which is the container process's parent for its whole life.
//
//   shim ── clone(NEWPID|NEWNS|NEWUTS|NEWIPC|NEWNET|NEWCGROUP) ──► child (pid 1 in the container)
//     │                                                             │
//     │  creates the cgroup, writes limits, adds the child  ◄─ sync ─┤ waits
//     │  ─────────────────────── "go" ──────────────────────────────►│
//     │                                                             │ mounts overlay, /proc, /dev,
//     │                                                             │ /sys, masks; pivot_root;
//     │                                                             │ hostname, rlimits, user,
//     │                                                             │ caps, seccomp, closes fds
//     │  ◄──── error record (errno + message) or EOF on exec ───────┤ execve(args)
//
// Errors in the child travel back over the sync socket; the child never throws and never logs.

#include <sys/types.h>

#include "engine/runtime/container_spec.hpp"
#include "engine/sys/result.hpp"

namespace engine::runtime {

/// The fds (in the caller) that become the container process's 0, 1 and 2, or, with `console`,
/// a terminal made inside the container's own devpts (/dev/pts/0, bound on /dev/console, as
/// runc does) whose controlling side comes back in Launched::console.
struct Stdio {
    int in = -1;
    int out = -1;
    int err = -1;
    bool console = false;
    unsigned short rows = 0, cols = 0;  ///< the console's size before the program starts
};

/// A started container process.
struct Launched {
    pid_t pid = -1;          ///< in the caller's pid namespace
    std::string cgroup;      ///< the cgroup path relative to each hierarchy's root
    int console = -1;        ///< the console's controlling side (the caller owns it), or -1
};

/// Starts the container described by `spec`. Returns once the process has exec'd its program,
/// or the first error from any step (the child is then reaped and the cgroup removed). A program
/// that cannot be found gives Docker's message and sys_errno ENOENT (the engine maps it to 127).
Result<Launched> launch(const ContainerSpec& spec, const Stdio& stdio);

/// Starts `spec` inside the running container whose init is `target_pid` (docker exec).
Result<pid_t> launch_exec(const ExecSpec& spec, pid_t target_pid, const Stdio& stdio);

/// launch_exec run by `helper_binary` (berth-shim, from its read-only mount) rather than by the
/// caller's own binary, so that nothing entering the container is a writable host file. Returns
/// the helper's pid: a child of the caller that exits as the process does (128+signal when
/// killed) and forwards the signals it gets to it. With spec.terminal the process's terminal is
/// made in the container's devpts and `stdio` is only where the helper's own stdio points.
struct ExecStarted {
    pid_t pid = -1;    ///< the helper
    int console = -1;  ///< with spec.terminal: the controlling side of the process's pty
};
Result<ExecStarted> launch_exec_via(const std::string& helper_binary, const ExecSpec& spec,
                                    pid_t target_pid, const Stdio& stdio);

/// The helper's side (`berth-shim exec PID`): stdio on 0-2, the ExecSpec JSON on fd 3, the setup
/// channel on fd 4. Returns an exit code only when it could not start the process.
int exec_helper_main(pid_t target_pid);

/// Removes the cgroups of a container that has exited (all its processes gone).
Status destroy_cgroup(const ContainerSpec& spec);
Status destroy_cgroup(const std::string& parent, const std::string& id);

}  // namespace engine::runtime
