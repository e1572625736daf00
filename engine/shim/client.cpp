// The engine's side of the shim: starting it, attaching, and reading a container's state from
// the files the shim writes and the processes it records.

#include <fcntl.h>
#include <signal.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "engine/shim/internal.hpp"
#include "engine/shim/proc.hpp"
#include "engine/shim/shim.hpp"
#include "engine/sys/clock.hpp"
#include "engine/sys/files.hpp"

namespace engine::shim {
namespace {

// After (v)fork, only async-signal-safe calls until exec.
[[noreturn]] void exec_shim(const std::vector<char*>& argv, int sync_fd) {
    if (sync_fd == kSyncFd) {
        ::fcntl(kSyncFd, F_SETFD, 0);
    } else if (::dup2(sync_fd, kSyncFd) < 0) {
        ::_exit(126);
    }
    int null_fd = ::open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; ++fd) ::dup2(null_fd, fd);
    ::syscall(SYS_close_range, kSyncFd + 1, ~0U, 0);
    // The caller (an attach client) may block or ignore signals; the shim and, through it, the
    // container start from the defaults.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig = 1; sig < NSIG; ++sig) ::signal(sig, SIG_DFL);
    ::execv(argv[0], argv.data());
    int err = errno;
    char message[256];
    int n = std::snprintf(message, sizeof message, "%s %d exec %s: %s\n", kSyncError, err, argv[0],
                          std::strerror(err));
    if (n > 0) (void)!::write(kSyncFd, message, static_cast<std::size_t>(n));
    ::_exit(127);
}

// Reads one line from the sync pipe; nullopt at EOF.
std::optional<std::string> read_line(int fd) {
    std::string line;
    char c;
    for (;;) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return line.empty() ? std::nullopt : std::optional(line);
        if (c == '\n') return line;
        line += c;
    }
}

// One of the shim's JSON files in `dir`; nullopt when missing or torn.
template <typename T>
std::optional<T> read_json_file(const std::string& dir, const char* name) {
    auto text = sys::read_file(dir + "/" + name);
    if (!text) return std::nullopt;
    auto j = nlohmann::json::parse(text.value(), nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j.get<T>();
}

std::optional<ExitStatus> read_exit(const std::string& dir) { return read_json_file<ExitStatus>(dir, kExitFile); }
std::optional<ShimState> read_state(const std::string& dir) { return read_json_file<ShimState>(dir, kStateFile); }

Error sync_error(const std::string& line) {
    // "error <errno> <text>"
    const char* rest = line.c_str() + std::strlen(kSyncError);
    char* end = nullptr;
    long err = std::strtol(rest, &end, 10);
    std::string text = end && *end == ' ' ? std::string(end + 1) : std::string(rest);
    return Error{static_cast<int>(err), text};
}

}  // namespace

std::vector<std::string> shim_command(const std::string& dir, const ShimOptions& options) {
    std::vector<std::string> argv = {options.shim_binary, "run", dir,
                                     "--log-max-size", std::to_string(options.log_max_size),
                                     "--log-max-files", std::to_string(options.log_max_files)};
    if (options.attach_stdin) argv.emplace_back("--attach-stdin");
    if (options.wait_for_attach) argv.emplace_back("--wait-for-attach");
    if (options.auto_remove) argv.emplace_back("--auto-remove");
    if (options.console_rows > 0 && options.console_cols > 0) {
        argv.emplace_back("--console-size");
        argv.emplace_back(fmt::format("{}x{}", options.console_rows, options.console_cols));
    }
    return argv;
}

std::optional<ShimArgs> parse_shim_command(int argc, char** argv) {
    if (argc < 3 || std::string(argv[1]) != "run") return std::nullopt;
    ShimArgs args;
    args.dir = argv[2];
    args.options.shim_binary = argv[0];
    for (int i = 3; i < argc; ++i) {
        std::string flag = argv[i];
        if (flag == "--attach-stdin") args.options.attach_stdin = true;
        else if (flag == "--wait-for-attach") args.options.wait_for_attach = true;
        else if (flag == "--auto-remove") args.options.auto_remove = true;
        else if (flag == "--log-max-size" && i + 1 < argc) args.options.log_max_size = std::strtoull(argv[++i], nullptr, 10);
        else if (flag == "--log-max-files" && i + 1 < argc) args.options.log_max_files = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
        else if (flag == "--console-size" && i + 1 < argc) {
            unsigned rows = 0, cols = 0;
            if (std::sscanf(argv[++i], "%ux%u", &rows, &cols) != 2) return std::nullopt;
            args.options.console_rows = static_cast<unsigned short>(rows);
            args.options.console_cols = static_cast<unsigned short>(cols);
        } else return std::nullopt;
    }
    return args;
}

sockaddr_un address_in(int dir_fd, const std::string& name) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dir_fd, name.c_str());
    return addr;
}

int start_failure_code(int sys_errno) {
    return sys_errno == ENOENT ? 127 : sys_errno == EACCES ? 126 : 128;
}

Result<Started> start_shim(const std::string& dir, const ShimOptions& given) {
    ShimOptions options = given;
    winsize ws{};
    if (options.wait_for_attach && options.console_rows == 0 && ::isatty(STDOUT_FILENO) &&
        ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
        options.console_rows = ws.ws_row;
        options.console_cols = ws.ws_col;
    }
    std::vector<std::string> args = shim_command(dir, options);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return sys::errno_error("create the shim's sync pipe");
    sys::UniqueFd sync_read(pipe_fds[0]), sync_write(pipe_fds[1]);
    // vfork, not fork: both children borrow the caller's memory until the exec (or _exit)
    // instead of copying the page tables of a process that maps over 100 MB, and make only
    // syscalls meanwhile. The caller's other threads never touch this thread's stack.
    pid_t child = ::vfork();
    if (child < 0) return sys::errno_error("fork the shim");
    if (child == 0) {
        // Double fork: the shim is nobody's child here, so it outlives the caller and the
        // caller never has to reap it; setsid keeps the caller's terminal signals away.
        ::setsid();
        pid_t shim = ::vfork();
        if (shim != 0) ::_exit(shim < 0 ? 1 : 0);
        exec_shim(argv, sync_write.get());
    }
    sync_write.reset();
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return Error{0, "start the shim: fork failed"};

    Started started;
    for (;;) {
        auto line = read_line(sync_read.get());
        if (!line) {
            if (auto exit = read_exit(dir); exit && !exit->error.empty()) return Error{0, exit->error};
            return Error{0, "start the shim: it exited before the container started"};
        }
        if (*line == kSyncListening) {
            if (!options.wait_for_attach) continue;
            auto connected = attach(dir);
            if (!connected) return std::move(connected).context("attach to the shim").error();
            started.attach = std::move(connected.value());
        } else if (line->rfind(kSyncOk, 0) == 0) {
            if (std::sscanf(line->c_str() + std::strlen(kSyncOk), "%d %d", &started.shim_pid, &started.pid) != 2)
                return Error{0, fmt::format("start the shim: unexpected reply \"{}\"", *line)};
            return started;
        } else if (line->rfind(kSyncError, 0) == 0) {
            return sync_error(*line);
        }
    }
}

Result<sys::UniqueFd> attach(const std::string& dir) {
    sys::UniqueFd dir_fd(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd) return sys::errno_error("open {}", dir);
    sys::UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!sock) return sys::errno_error("create a unix socket");
    sockaddr_un addr = address_in(dir_fd.get(), kAttachSocket);
    if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
        return sys::errno_error("connect to {}/{}", dir, kAttachSocket);
    return sock;
}

Observed observe(const std::string& dir) {
    Observed observed;
    observed.state = read_state(dir);
    observed.exit = read_exit(dir);
    if (observed.exit) {
        observed.phase = Observed::Phase::kExited;
        return observed;
    }
    if (!observed.state) return observed;
    const ShimState& s = *observed.state;
    if (process_alive(s.pid, s.pid_start_time)) {
        observed.phase = Observed::Phase::kRunning;
        return observed;
    }
    // The container is gone. A live shim is about to write exit.json: give it a moment.
    if (process_alive(s.shim_pid, s.shim_start_time))
        if (auto exit = wait_exit(dir, 2000)) {
            observed.exit = exit.value();
            observed.phase = Observed::Phase::kExited;
            return observed;
        }
    // Nobody saw it exit (the shim was killed first). Docker would say 137 for a container it
    // knows was SIGKILLed; here nothing is known, so 255 and an error say exactly that.
    observed.phase = Observed::Phase::kExited;
    observed.exit = ExitStatus{255, false, "", "shim died"};
    return observed;
}

Result<ExitStatus> wait_exit(const std::string& dir, int timeout_ms) {
    sys::UniqueFd watch(::inotify_init1(IN_CLOEXEC | IN_NONBLOCK));
    if (watch) ::inotify_add_watch(watch.get(), dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE | IN_CREATE);
    const std::int64_t deadline = timeout_ms < 0 ? 0 : sys::now_ns() + std::int64_t{timeout_ms} * 1000000;
    // Without inotify, and to notice a shim that died without writing exit.json, look anyway
    // every second.
    constexpr int kRecheckMs = 1000;
    for (;;) {
        if (auto exit = read_exit(dir)) return *exit;
        if (auto state = read_state(dir); state && !process_alive(state->pid, state->pid_start_time) &&
                                          !process_alive(state->shim_pid, state->shim_start_time)) {
            if (auto exit = read_exit(dir)) return *exit;
            return ExitStatus{255, false, "", "shim died"};
        }
        int wait_ms = kRecheckMs;
        if (timeout_ms >= 0) {
            std::int64_t left = (deadline - sys::now_ns()) / 1000000;
            if (left <= 0) return Error{ETIMEDOUT, fmt::format("wait for {}: timed out", dir)};
            wait_ms = static_cast<int>(std::min<std::int64_t>(left, kRecheckMs));
        }
        pollfd pfd{watch.get(), POLLIN, 0};
        if (::poll(&pfd, watch ? 1 : 0, wait_ms) > 0) {
            char events[4096];
            while (::read(watch.get(), events, sizeof events) > 0) {
            }
        }
    }
}

}  // namespace engine::shim
