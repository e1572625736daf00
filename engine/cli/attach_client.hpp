#pragma once

#include <sys/types.h>

namespace engine::cli {

/// What the attached client forwards.
struct AttachOptions {
    bool stdin_open = false;  ///< -i: copy our stdin to the container
    bool tty = false;         ///< -t: raw local terminal, resize frames on SIGWINCH
    bool sig_proxy = true;    ///< forward SIGINT/SIGTERM/... to `pid` when not a tty
    pid_t pid = -1;           ///< the container's init, for the signal proxy
};

/// Relays between this process's stdio and a shim's attach socket until the shim sends the
/// exit frame; returns the container's exit code (or 125 when the connection broke).
int relay_attach(int attach_fd, const AttachOptions& options);

}  // namespace engine::cli
