#include "engine/shim/server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <malloc.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "engine/runtime/cgroup.hpp"
#include "engine/runtime/launcher.hpp"
#include "engine/shim/frames.hpp"
#include "engine/shim/json_log.hpp"
#include "engine/shim/proc.hpp"
#include "engine/sys/clock.hpp"
#include "engine/sys/files.hpp"

namespace engine::shim {

// Runtime state is never fsynced: it only has to survive crashed processes, which the page cache
// does; after a power cut every container is gone anyway, and a missing or torn file reads as an
// exited container.
constexpr auto kRuntimeState = sys::Durability::kAtomicOnly;
namespace {

// Output queued for one client beyond this is dropped: a client that does not read must never
// stall the container (docker drops for slow attach clients too).
constexpr std::size_t kClientBacklog = 256 * 1024;
// Input queued for the container's stdin beyond this stops reading from clients until it drains.
constexpr std::size_t kStdinBacklog = 256 * 1024;
// After the container's init exits, how long to keep reading output its killed descendants may
// still hold open.
constexpr int kDrainMs = 2000;
constexpr std::size_t kReadChunk = 32 * 1024;

void no_op(int) {}

// A handler rather than SIG_IGN: handlers are reset by exec, ignored signals are not, and the
// container must start with every signal at its default.
void install_handlers() {
    struct sigaction sa {};
    sa.sa_handler = no_op;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGCHLD, SIGINT, SIGHUP, SIGTERM, SIGQUIT, SIGPIPE}) ::sigaction(sig, &sa, nullptr);
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

struct Client {
    sys::UniqueFd fd;
    FrameDecoder decoder;
    std::string out;
    bool closed = false;
};

class Shim {
public:
    Shim(const ShimArgs& args, int sync_fd) : dir_(args.dir), options_(args.options), sync_fd_(sync_fd) {}

    int run() {
        install_handlers();
        ::fcntl(sync_fd_.get(), F_SETFD, FD_CLOEXEC);
        runtime::ContainerSpec spec;
        if (Status s = prepare(spec); !s) return fail_start(s.error());
        runtime::Stdio stdio{container_in_.get(), container_out_.get(), container_err_.get()};
        if (terminal_) stdio = {-1, -1, -1, true, options_.console_rows, options_.console_cols};
        auto launched = runtime::launch(spec, stdio);
        if (!launched) return fail_start(launched.error());
        pid_ = launched.value().pid;
        if (terminal_) {
            master_.reset(launched.value().console);
            set_nonblocking(master_.get());
        }
        // The container holds its own ends now; ours would keep the output open after it exits.
        container_in_.reset();
        container_out_.reset();
        container_err_.reset();
        if (Status s = write_state(); !s) note_error(s.error().message);
        report(fmt::format("{} {} {}\n", kSyncOk, ::getpid(), pid_));
        sync_fd_.reset();
        find_startup_pages();
        serve();
        return finish();
    }

private:
    Status prepare(runtime::ContainerSpec& spec) {
        auto text = sys::read_file(dir_ + "/" + kSpecFile);
        if (!text) return text.error();
        {
            auto j = nlohmann::json::parse(text.value(), nullptr, false);
            if (j.is_discarded()) return Error{EINVAL, fmt::format("parse {}/{}: invalid JSON", dir_, kSpecFile)};
            try {
                spec = j.get<runtime::ContainerSpec>();
            } catch (const nlohmann::json::exception& e) {
                return Error{EINVAL, fmt::format("parse {}/{}: {}", dir_, kSpecFile, e.what())};
            }
        }
        id_ = spec.id;
        cgroup_parent_ = spec.cgroup_parent;
        terminal_ = spec.terminal;
        auto log = JsonLogWriter::open(dir_ + "/" + kLogFile, options_.log_max_size, options_.log_max_files);
        if (!log) return log.error();
        log_ = std::make_unique<JsonLogWriter>(std::move(log.value()));
        if (Status s = open_stdio(); !s) return s;
        if (Status s = listen_attach(); !s) return s;
        report(fmt::format("{}\n", kSyncListening));
        if (options_.wait_for_attach) return wait_first_client();
        return sys::ok();
    }

    Status open_stdio() {
        // A terminal is made by the launcher inside the container's own devpts.
        if (terminal_) return sys::ok();
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) return sys::errno_error("create the stdout pipe");
        out_.reset(fds[0]);
        container_out_.reset(fds[1]);
        if (::pipe2(fds, O_CLOEXEC) != 0) return sys::errno_error("create the stderr pipe");
        err_.reset(fds[0]);
        container_err_.reset(fds[1]);
        set_nonblocking(out_.get());
        set_nonblocking(err_.get());
        if (options_.attach_stdin) {
            if (::pipe2(fds, O_CLOEXEC) != 0) return sys::errno_error("create the stdin pipe");
            container_in_.reset(fds[0]);
            in_.reset(fds[1]);
            set_nonblocking(in_.get());
        } else {
            container_in_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
            if (!container_in_) return sys::errno_error("open /dev/null");
        }
        return sys::ok();
    }

    Status listen_attach() {
        sys::UniqueFd dir_fd(::open(dir_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!dir_fd) return sys::errno_error("open {}", dir_);
        ::unlinkat(dir_fd.get(), kAttachSocket, 0);
        listen_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!listen_) return sys::errno_error("create the attach socket");
        sockaddr_un addr = address_in(dir_fd.get(), kAttachSocket);
        // Created 0600 from the start: nobody else may ever connect, not even in a window.
        mode_t old_mask = ::umask(0177);
        int bound = ::bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::umask(old_mask);
        if (bound != 0) return sys::errno_error("bind {}/{}", dir_, kAttachSocket);
        if (::listen(listen_.get(), 16) != 0) return sys::errno_error("listen on {}/{}", dir_, kAttachSocket);
        return sys::ok();
    }

    Status wait_first_client() {
        for (;;) {
            // The starter's end of the sync pipe closing means nobody is coming.
            pollfd fds[2] = {{listen_.get(), POLLIN, 0}, {sync_fd_.get(), 0, 0}};
            if (::poll(fds, 2, -1) < 0 && errno != EINTR) return sys::errno_error("wait for attach");
            if (fds[1].revents & (POLLERR | POLLHUP)) return Error{EPIPE, "wait for attach: the starter went away"};
            if (fds[0].revents & POLLIN) {
                accept_clients();
                if (!clients_.empty()) return sys::ok();
            }
        }
    }

    Status write_state() {
        ShimState state;
        state.shim_pid = ::getpid();
        state.shim_start_time = process_start_time(state.shim_pid).value_or(0);
        state.pid = pid_;
        state.pid_start_time = process_start_time(pid_).value_or(0);
        state.started_at = sys::format_rfc3339_nano(sys::now_ns());
        return sys::write_file_atomic(dir_ + "/" + kStateFile, nlohmann::json(state).dump(), 0644, kRuntimeState);
    }

    int fail_start(const Error& error) {
        ExitStatus exit{start_failure_code(error.sys_errno), false,
                        sys::format_rfc3339_nano(sys::now_ns()), error.message};
        if (listen_) ::unlink((dir_ + "/" + kAttachSocket).c_str());
        if (Status s = sys::write_file_atomic(dir_ + "/" + kExitFile, nlohmann::json(exit).dump(), 0644, kRuntimeState); !s)
            note_error(s.error().message);
        std::string message = error.message;
        for (char& c : message)
            if (c == '\n') c = ' ';
        report(fmt::format("{} {} {}\n", kSyncError, error.sys_errno, message));
        broadcast(Frame::kExit, std::to_string(exit.exit_code));
        flush_clients();
        return 1;
    }

    void report(const std::string& line) {
        if (sync_fd_) (void)write_all(sync_fd_.get(), line);
    }

    // After the start, nobody reads the shim's stderr; errors go to a file in the directory.
    void note_error(const std::string& message) {
        sys::UniqueFd fd(::open((dir_ + "/shim.err").c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
        if (fd) (void)write_all(fd.get(), fmt::format("{} {}\n", sys::format_rfc3339_nano(sys::now_ns()), message));
    }

    // Done by hand, no library does it: the start (JSON, launcher, seccomp, libcap) touches
    // over a megabyte of the binary's code, which would stay in this process's RSS for the
    // container's whole life though only the small loop below runs from now on. Unmapping the
    // pages of every clean (never written) mapping of the executable lets the loop fault back
    // in just what it uses, from the page cache every shim shares. Mappings with dirty pages
    // (relocated data) are left alone: dropping those would lose the writes. The ranges are
    // found here and dropped just before the loop first blocks, so that little code runs
    // (and faults pages back, 64 KiB of fault-around at a time) in between.
    void find_startup_pages() {
        std::string exe(4096, '\0');
        ssize_t len = ::readlink("/proc/self/exe", exe.data(), exe.size());
        if (len <= 0) return;
        exe.resize(static_cast<std::size_t>(len));
        auto smaps = sys::read_file("/proc/self/smaps");
        if (!smaps) return;
        std::string_view text = smaps.value();
        Range current;
        bool candidate = false, clean = true;
        auto keep = [&] {
            if (candidate && clean && current.end > current.start && startup_count_ < startup_pages_.size())
                startup_pages_[startup_count_++] = current;
        };
        while (!text.empty()) {
            std::size_t nl = text.find('\n');
            std::string_view line = text.substr(0, nl);
            text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
            unsigned long from = 0, to = 0;
            char perms[5] = {};
            if (line.find('-') < line.find(' ') && std::sscanf(std::string(line).c_str(), "%lx-%lx %4s", &from, &to, perms) == 3) {
                keep();
                current = {from, to};
                candidate = perms[1] != 'w' && line.size() > exe.size() &&
                            line.substr(line.size() - exe.size()) == exe;
                clean = true;
            } else if (line.rfind("Private_Dirty:", 0) == 0 || line.rfind("Anonymous:", 0) == 0) {
                unsigned long kb = 0;
                std::sscanf(std::string(line.substr(line.find(':') + 1)).c_str(), "%lu", &kb);
                if (kb > 0) clean = false;
            }
        }
        keep();
    }

    void drop_startup_pages() {
        for (std::size_t i = 0; i < startup_count_; ++i)
            ::madvise(reinterpret_cast<void*>(startup_pages_[i].start),
                      startup_pages_[i].end - startup_pages_[i].start, MADV_DONTNEED);
        startup_count_ = 0;
    }

    // ---- the loop ----

    void serve() {
        sigset_t chld, empty;
        sigemptyset(&chld);
        sigaddset(&chld, SIGCHLD);
        sigemptyset(&empty);
        // SIGCHLD only interrupts ppoll, so no exit is missed between a check and the wait.
        ::sigprocmask(SIG_BLOCK, &chld, nullptr);
        std::int64_t drain_deadline = 0;
        std::vector<pollfd> fds;
        for (;;) {
            reap();
            if (exited_ && drain_deadline == 0) drain_deadline = sys::now_ns() + std::int64_t{kDrainMs} * 1000000;
            if (exited_ && (!outputs_open() || sys::now_ns() >= drain_deadline)) return;
            fds.clear();
            fds.push_back({listen_.get(), POLLIN, 0});
            fds.push_back({master_ ? master_.get() : out_.get(), POLLIN, 0});
            fds.push_back({err_.get(), POLLIN, 0});
            fds.push_back({stdin_fd(), static_cast<short>(stdin_pending_.empty() ? 0 : POLLOUT), 0});
            bool take_input = stdin_pending_.size() < kStdinBacklog;
            for (auto& c : clients_)
                fds.push_back({c->fd.get(), static_cast<short>((take_input ? POLLIN : 0) | (c->out.empty() ? 0 : POLLOUT)), 0});
            timespec timeout{0, 100 * 1000000};
            if (startup_count_ > 0) {
                ::malloc_trim(0);
                drop_startup_pages();
            }
            int ready = ::ppoll(fds.data(), fds.size(), exited_ ? &timeout : nullptr, &empty);
            if (ready <= 0) continue;
            if (fds[0].revents & POLLIN) accept_clients();
            if (fds[1].revents) read_output(master_ ? master_ : out_, Stream::kStdout);
            if (fds[2].revents) read_output(err_, Stream::kStderr);
            if (fds[3].revents) write_stdin();
            for (std::size_t i = 0; i < clients_.size(); ++i) {
                short revents = fds[4 + i].revents;
                if (revents & (POLLIN | POLLHUP | POLLERR)) read_client(*clients_[i]);
                if (revents & POLLOUT) send_pending(*clients_[i]);
            }
            drop_closed_clients();
        }
    }

    bool outputs_open() const { return master_ || out_ || err_; }

    int stdin_fd() const {
        if (!options_.attach_stdin) return -1;
        return terminal_ ? master_.get() : in_.get();
    }

    void reap() {
        int status = 0;
        for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;)
            if (pid == pid_) {
                exited_ = true;
                exit_status_ = status;
                finished_at_ = sys::now_ns();
            }
    }

    void accept_clients() {
        for (;;) {
            int fd = ::accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd < 0) return;
            auto client = std::make_unique<Client>();
            client->fd.reset(fd);
            clients_.push_back(std::move(client));
        }
    }

    void read_output(sys::UniqueFd& fd, Stream stream) {
        char chunk[kReadChunk];
        // One read per wakeup keeps stdout and stderr interleaved as they were produced.
        ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        LineSplitter& splitter = stream == Stream::kStdout ? split_out_ : split_err_;
        auto log = [&](std::string_view entry) {
            if (Status s = log_->write(stream, entry, sys::now_ns()); !s && !log_failed_) {
                log_failed_ = true;  // noted once, not for every line of a full disk
                note_error(s.error().message);
            }
        };
        if (n <= 0) {  // EOF, or EIO from a pty whose other side is all closed
            splitter.finish(log);
            fd.reset();
            return;
        }
        splitter.feed(chunk, static_cast<std::size_t>(n), log);
        broadcast(stream == Stream::kStdout ? Frame::kStdout : Frame::kStderr,
                  std::string_view(chunk, static_cast<std::size_t>(n)));
    }

    void read_client(Client& client) {
        char chunk[kReadChunk];
        ssize_t n = ::recv(client.fd.get(), chunk, sizeof chunk, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
        if (n <= 0) {
            client.closed = true;
            return;
        }
        client.decoder.feed(chunk, static_cast<std::size_t>(n));
        while (auto frame = client.decoder.next()) on_frame(*frame);
        if (client.decoder.failed()) client.closed = true;
    }

    void on_frame(const DecodedFrame& frame) {
        switch (frame.type) {
        case Frame::kStdin:
            if (stdin_fd() >= 0) {
                stdin_pending_ += frame.payload;
                write_stdin();
            }
            break;
        case Frame::kResize: {
            unsigned rows = 0, cols = 0;
            if (master_ && std::sscanf(frame.payload.c_str(), "%u %u", &rows, &cols) == 2) {
                winsize ws{};
                ws.ws_row = static_cast<unsigned short>(rows);
                ws.ws_col = static_cast<unsigned short>(cols);
                ::ioctl(master_.get(), TIOCSWINSZ, &ws);
            }
            break;
        }
        case Frame::kCloseStdin:
            // A pty has no separate stdin to close; closing its master would hang up the
            // container, so only a pipe is closed.
            if (in_) {
                write_stdin();
                stdin_pending_.clear();
                in_.reset();
            }
            break;
        default:
            break;
        }
    }

    void write_stdin() {
        int fd = stdin_fd();
        while (fd >= 0 && !stdin_pending_.empty()) {
            ssize_t n = ::write(fd, stdin_pending_.data(), stdin_pending_.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            if (n < 0) {  // the container closed its stdin: nothing more will be read
                stdin_pending_.clear();
                if (!terminal_) in_.reset();
                break;
            }
            stdin_pending_.erase(0, static_cast<std::size_t>(n));
        }
        if (stdin_pending_.empty()) stdin_pending_.shrink_to_fit();
    }

    void broadcast(Frame type, std::string_view payload) {
        if (clients_.empty()) return;
        std::string frame = encode_frame(type, payload);
        for (auto& c : clients_) {
            // The exit frame is never dropped: it is how a client learns the outcome.
            if (c->closed || (type != Frame::kExit && c->out.size() + frame.size() > kClientBacklog)) continue;
            c->out += frame;
            send_pending(*c);
        }
    }

    void send_pending(Client& client) {
        while (!client.out.empty() && !client.closed) {
            ssize_t n = ::send(client.fd.get(), client.out.data(), client.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && errno == EAGAIN) return;
            if (n < 0) {
                client.closed = true;
                return;
            }
            client.out.erase(0, static_cast<std::size_t>(n));
        }
        if (client.out.empty()) client.out.shrink_to_fit();
    }

    void drop_closed_clients() {
        std::erase_if(clients_, [](const auto& c) { return c->closed; });
    }

    // Gives clients up to a second to take their last output and the exit frame.
    void flush_clients() {
        std::int64_t deadline = sys::now_ns() + 1000000000;
        for (;;) {
            drop_closed_clients();
            std::vector<pollfd> fds;
            for (auto& c : clients_)
                if (!c->out.empty()) fds.push_back({c->fd.get(), POLLOUT, 0});
            std::int64_t left_ms = (deadline - sys::now_ns()) / 1000000;
            if (fds.empty() || left_ms <= 0) return;
            ::poll(fds.data(), fds.size(), static_cast<int>(left_ms));
            for (auto& c : clients_) send_pending(*c);
        }
    }

    void release_container() {
        runtime::ContainerSpec spec;
        spec.id = id_;
        spec.cgroup_parent = cgroup_parent_;
        if (Status s = runtime::destroy_cgroup(spec); !s) note_error(s.error().message);
        if (options_.auto_remove) {
            log_.reset();
            // Out of the store at once (an unlisted name), deleted once the clients heard the
            // exit: on filesystems that discard freed blocks synchronously, deleting the files
            // took ~1 ms that `run --rm` waited for.
            std::string removing = strip_trailing_slash(dir_) + ".removing";
            if (::rename(dir_.c_str(), removing.c_str()) == 0) {
                removing_ = removing;
            } else if (Status s = sys::remove_tree(dir_); !s) {
                note_error(s.error().message);
            }
        }
    }

    void delete_removed() {
        if (removing_.empty()) return;
        if (Status s = sys::remove_tree(removing_); !s) note_error(s.error().message);
    }

    static std::string strip_trailing_slash(std::string path) {
        while (path.size() > 1 && path.back() == '/') path.pop_back();
        return path;
    }

    int finish() {
        auto log = [&](Stream stream) {
            return [&, stream](std::string_view entry) { (void)log_->write(stream, entry, sys::now_ns()); };
        };
        split_out_.finish(log(Stream::kStdout));
        split_err_.finish(log(Stream::kStderr));
        ExitStatus exit;
        exit.exit_code = exit_code_of(exit_status_);
        exit.finished_at = sys::format_rfc3339_nano(finished_at_);
        if (auto cgroup = runtime::open_cgroup(cgroup_parent_, id_))
            if (auto stats = cgroup->stats()) exit.oom_killed = stats.value().oom_kills > 0;
        // Gone before exit.json appears, so that whoever sees the exit never attaches to a
        // shim on its way out.
        ::unlink((dir_ + "/" + kAttachSocket).c_str());
        if (Status s = sys::write_file_atomic(dir_ + "/" + kExitFile, nlohmann::json(exit).dump(), 0644, kRuntimeState); !s)
            note_error(s.error().message);
        // A --rm container is gone before its clients hear the exit (docker run --rm returns
        // once the container is removed); others report the exit first and clean up after.
        if (options_.auto_remove) release_container();
        broadcast(Frame::kExit, std::to_string(exit.exit_code));
        flush_clients();
        clients_.clear();
        if (!options_.auto_remove) release_container();
        delete_removed();
        return 0;
    }

    std::string dir_;
    std::string removing_;  // a --rm container's directory, renamed out of the store
    ShimOptions options_;
    sys::UniqueFd sync_fd_;
    std::string id_;
    std::string cgroup_parent_;
    bool terminal_ = false;

    std::unique_ptr<JsonLogWriter> log_;
    bool log_failed_ = false;
    LineSplitter split_out_, split_err_;

    sys::UniqueFd listen_;
    sys::UniqueFd master_, out_, err_, in_;                       // the shim's ends
    sys::UniqueFd container_in_, container_out_, container_err_;  // the container's, until launch
    std::string stdin_pending_;
    std::vector<std::unique_ptr<Client>> clients_;

    struct Range {
        std::uintptr_t start = 0, end = 0;
    };
    std::array<Range, 8> startup_pages_{};
    std::size_t startup_count_ = 0;

    pid_t pid_ = -1;
    bool exited_ = false;
    int exit_status_ = 0;
    std::int64_t finished_at_ = 0;
};

}  // namespace

int run_shim(const ShimArgs& args, int sync_fd) {
    return Shim(args, sync_fd).run();
}

}  // namespace engine::shim
