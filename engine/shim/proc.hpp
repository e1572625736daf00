#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace engine::shim {

/// Field 22 of /proc/PID/stat (clock ticks after boot): with the pid it names one process for
/// good, since a reused pid gets a later start time.
std::optional<std::uint64_t> process_start_time(pid_t pid);

/// True when `pid` is a live (not zombie) process that started at `start_time`.
bool process_alive(pid_t pid, std::uint64_t start_time);

/// The exit code Docker reports for a waitpid status: the status, or 128+signal.
int exit_code_of(int wait_status);

}  // namespace engine::shim
