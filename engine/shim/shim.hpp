#pragma once

// The per-container shim: a small static process (`berth-shim`) that is the container process's
// parent for its whole life, so that the container outlives whatever started it (the CLI now,
// the daemon later) and any later process can re-attach.
//
//   berth (CLI or daemon)          berth-shim (setsid, double-forked)        container
//      │ start_shim(dir) ──fork/exec──►│ reads dir/spec.json
//      │                               │ launch() ───────────────────────────────►│ pid 1
//      │ ◄── sync pipe: "ok" / error ──┤ writes dir/shim.json (atomically)        │
//      │                               │ stdout/stderr ──► dir/container.log     ◄┤
//      │ attach(dir) ── attach.sock ──►│ ◄──► stdin / output frames / resize      │
//      │                               │ waitpid ─► dir/exit.json (atomically)   ✕ exits
//
// Files in the container directory (the contract between shim and engine):
//   spec.json      runtime::ContainerSpec, written by the engine before start
//   shim.json      ShimState, written by the shim once the process runs
//   exit.json      ExitStatus, written by the shim when the process has exited
//   container.log  docker's json-file lines {"log","stream","time"}; rotated .1 .. .N
//   attach.sock    the attach socket (frames below), mode 0600; removed before exit.json appears
//   shim.err       what went wrong in the shim after the start, when nobody reads its stderr

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/sys/result.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::shim {

inline constexpr const char* kSpecFile = "spec.json";
inline constexpr const char* kStateFile = "shim.json";
inline constexpr const char* kExitFile = "exit.json";
inline constexpr const char* kLogFile = "container.log";
inline constexpr const char* kAttachSocket = "attach.sock";

/// What the shim records once the container process runs. Start times (field 22 of
/// /proc/PID/stat) tell a live process from a reused pid.
struct ShimState {
    pid_t shim_pid = -1;
    std::uint64_t shim_start_time = 0;
    pid_t pid = -1;
    std::uint64_t pid_start_time = 0;
    std::string started_at;  ///< RFC 3339 with nanoseconds, UTC
};

/// How the container process ended. exit_code follows Docker: the program's status, or
/// 128+signal when a signal killed it.
struct ExitStatus {
    int exit_code = 0;
    bool oom_killed = false;
    std::string finished_at;
    std::string error;  ///< set when the process could not be started at all
};

void to_json(nlohmann::json& j, const ShimState& s);
void from_json(const nlohmann::json& j, ShimState& s);
void to_json(nlohmann::json& j, const ExitStatus& s);
void from_json(const nlohmann::json& j, ExitStatus& s);

/// Options the engine passes when starting a shim.
struct ShimOptions {
    std::string shim_binary;            ///< path of berth-shim
    std::uint64_t log_max_size = 0;     ///< bytes per log file; 0 = no rotation
    unsigned log_max_files = 1;
    bool attach_stdin = false;          ///< keep stdin open for attach (-i)
    bool wait_for_attach = false;       ///< start the process only once `attach` is connected
    bool auto_remove = false;           ///< remove the container directory once it has exited (--rm)
    /// The pty's size before the program starts (docker's ConsoleSize), so that it never sees 0x0.
    /// When 0 and wait_for_attach, start_shim takes the size of its caller's terminal (stdout).
    unsigned short console_rows = 0;
    unsigned short console_cols = 0;
};

/// A running shim as its starter sees it.
struct Started {
    pid_t shim_pid = -1;
    pid_t pid = -1;                     ///< the container's init
    sys::UniqueFd attach;               ///< connected attach socket when wait_for_attach
};

/// Starts a shim for the container directory `dir` and waits until the container process has
/// exec'd (or failed: the error carries the launcher's message, and exit.json is written).
Result<Started> start_shim(const std::string& dir, const ShimOptions& options);

// Attach frames, both directions: 1 byte type, 4 bytes big-endian length, payload.
enum class Frame : std::uint8_t {
    kStdin = 0,     ///< client → shim
    kStdout = 1,    ///< shim → client
    kStderr = 2,    ///< shim → client
    kResize = 3,    ///< client → shim: "rows cols"
    kCloseStdin = 4,///< client → shim
    kExit = 5,      ///< shim → client: the exit code as decimal text; last frame
};

/// Connects to a running shim's attach socket.
Result<sys::UniqueFd> attach(const std::string& dir);

/// The container's state as its files and processes tell it, after any crash of anything:
/// running only when the recorded process is alive with its recorded start time.
struct Observed {
    enum class Phase { kCreated, kRunning, kExited } phase = Phase::kCreated;
    std::optional<ShimState> state;
    std::optional<ExitStatus> exit;
};
Observed observe(const std::string& dir);

/// Blocks until exit.json exists (or `timeout_ms` passes; -1 waits forever) and returns it.
Result<ExitStatus> wait_exit(const std::string& dir, int timeout_ms = -1);

}  // namespace engine::shim
