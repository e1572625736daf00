#pragma once

// The channel between the launcher and its cloned child (a SOCK_SEQPACKET pair, close-on-exec).
//
//   parent                                   child
//     │ ── kGo ──────────────────────────────►│ (after the parent put it in its cgroup; the
//     │                                       │  child mounts what it can meanwhile)
//     │ ◄── kPid <pid> (only from --init or exec helpers: the process that will exec)
//     │ ◄── kConsole + fd (SCM_RIGHTS): the pty made in the container's devpts
//     │ ◄── kError <errno> <message> ─────────┤ a setup step failed; the child exits
//     │ ◄── EOF ──────────────────────────────┤ execve succeeded (close-on-exec closed it)
//
// The child never throws and never logs: whatever goes wrong is one kError record.

#include <sys/types.h>

#include <string>

#include "engine/sys/result.hpp"

namespace engine::runtime::sync {

enum class Kind : char { kGo = 'g', kPid = 'p', kError = 'e', kConsole = 'c' };

/// Sends one record; best effort from the child (the parent sees EOF if it fails).
void send(int fd, Kind kind, const std::string& payload = "");
void send_error(int fd, const Error& error);
/// Sends `passed` along with a kConsole record.
Status send_console(int fd, int passed);

/// Waits for kGo; false when the parent went away.
bool wait_go(int fd);

/// Reads records until EOF: ok once the child exec'd, its Error otherwise. A kPid record
/// updates `*pid` and a kConsole record sets `*console` (an fd the caller then owns), when given.
Status wait_exec(int fd, pid_t* pid = nullptr, int* console = nullptr);

}  // namespace engine::runtime::sync
