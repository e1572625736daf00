#include "engine/cli/attach_client.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "engine/shim/frames.hpp"

namespace engine::cli {
namespace {

using shim::Frame;

bool write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data += n;
        size -= static_cast<size_t>(n);
    }
    return true;
}

bool send_frame(int fd, Frame type, const std::string& payload) {
    std::string frame = shim::encode_frame(type, payload);
    return write_all(fd, frame.data(), frame.size());
}

// Restores the terminal on every exit path.
class RawTerminal {
public:
    explicit RawTerminal(bool enable) {
        if (!enable || ::tcgetattr(STDIN_FILENO, &saved_) != 0) return;
        termios raw = saved_;
        ::cfmakeraw(&raw);
        active_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    ~RawTerminal() {
        if (active_) ::tcsetattr(STDIN_FILENO, TCSANOW, &saved_);
    }

private:
    termios saved_{};
    bool active_ = false;
};

void send_size(int fd) {
    winsize ws{};
    if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
        send_frame(fd, Frame::kResize, std::to_string(ws.ws_row) + " " + std::to_string(ws.ws_col));
}

// Writes out the complete frames received so far; returns the exit code once the exit frame came.
std::optional<int> consume_frames(shim::FrameDecoder& decoder) {
    while (auto frame = decoder.next()) {
        const std::string& payload = frame->payload;
        if (frame->type == Frame::kStdout) write_all(STDOUT_FILENO, payload.data(), payload.size());
        else if (frame->type == Frame::kStderr) write_all(STDERR_FILENO, payload.data(), payload.size());
        else if (frame->type == Frame::kExit) return std::atoi(payload.c_str());
    }
    return std::nullopt;
}

sigset_t relayed_signals() {
    sigset_t set;
    sigemptyset(&set);
    for (int s : {SIGWINCH, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2}) sigaddset(&set, s);
    return set;
}

void on_signal(int signal_fd, int attach_fd, const AttachOptions& options) {
    signalfd_siginfo info{};
    if (::read(signal_fd, &info, sizeof info) != sizeof info) return;
    int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGWINCH) send_size(attach_fd);
    else if (options.sig_proxy && options.pid > 0) ::kill(options.pid, sig);
}

}  // namespace

int relay_attach(int attach_fd, const AttachOptions& options) {
    RawTerminal raw(options.tty && ::isatty(STDIN_FILENO));
    sigset_t signals = relayed_signals(), old;
    ::sigprocmask(SIG_BLOCK, &signals, &old);
    int signal_fd = ::signalfd(-1, &signals, SFD_CLOEXEC);
    if (options.tty) send_size(attach_fd);
    bool stdin_open = options.stdin_open;
    shim::FrameDecoder decoder;
    std::optional<int> exit_code;
    char chunk[65536];
    while (!exit_code) {
        pollfd fds[3] = {{attach_fd, POLLIN, 0}, {signal_fd, POLLIN, 0},
                         {stdin_open ? STDIN_FILENO : -1, POLLIN, 0}};
        if (::poll(fds, 3, -1) < 0 && errno != EINTR) break;
        if (fds[1].revents & POLLIN) on_signal(signal_fd, attach_fd, options);
        if (fds[2].revents & (POLLIN | POLLHUP)) {
            ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
            if (n > 0) send_frame(attach_fd, Frame::kStdin, std::string(chunk, static_cast<size_t>(n)));
            else { send_frame(attach_fd, Frame::kCloseStdin, ""); stdin_open = false; }
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = ::read(attach_fd, chunk, sizeof chunk);
            if (n <= 0) break;
            decoder.feed(chunk, static_cast<size_t>(n));
            exit_code = consume_frames(decoder);
            if (decoder.failed()) break;
        }
    }
    ::close(signal_fd);
    ::sigprocmask(SIG_SETMASK, &old, nullptr);
    return exit_code.value_or(125);
}

}  // namespace engine::cli
