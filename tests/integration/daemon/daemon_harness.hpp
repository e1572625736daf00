#pragma once

// Runs the built berthd on a throwaway state root (its own socket and cgroup parent) and talks
// HTTP to it over raw UNIX sockets, so that tests can also send what no client library would.

#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/berth_cli.hpp"

namespace daemon_test {

struct HttpResponse {
    int status = 0;
    std::string head;
    std::string body;  ///< de-chunked
};

inline int connect_unix(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

inline void send_all(int fd, const std::string& data) {
    size_t sent = 0;
    while (sent < data.size()) {
        ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;
        sent += static_cast<size_t>(n);
    }
}

inline std::string dechunk(const std::string& body) {
    std::string out;
    size_t pos = 0;
    while (pos < body.size()) {
        size_t eol = body.find("\r\n", pos);
        if (eol == std::string::npos) break;
        size_t len = std::stoul(body.substr(pos, eol - pos), nullptr, 16);
        if (len == 0) break;
        out += body.substr(eol + 2, len);
        pos = eol + 2 + len + 2;
    }
    return out;
}

inline HttpResponse parse_response(const std::string& raw) {
    HttpResponse r;
    size_t end = raw.find("\r\n\r\n");
    r.head = raw.substr(0, end);
    if (raw.size() > 12) r.status = std::atoi(raw.substr(9, 3).c_str());
    std::string body = end == std::string::npos ? "" : raw.substr(end + 4);
    bool chunked = r.head.find("Transfer-Encoding: chunked") != std::string::npos;
    r.body = chunked ? dechunk(body) : body;
    return r;
}

/// Reads until the peer closes (or the receive timeout).
inline std::string read_all(int fd) {
    std::string raw;
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        raw.append(buf, static_cast<size_t>(n));
    }
    return raw;
}

class Daemon {
public:
    explicit Daemon(std::vector<std::string> extra = {}) : socket_((cli_.dir() / "berthd.sock").string()) {
        cli_.import_busybox("bb:local");
        start(std::move(extra));
    }
    ~Daemon() { stop(); }

    /// Starts berthd; the test fails unless it answers on its socket within 10 s.
    void start(std::vector<std::string> extra = {}) {
        pid_ = launch(extra);
        for (int i = 0; i < 200; ++i) {
            int fd = connect_unix(socket_);
            if (fd >= 0) {
                ::close(fd);
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        FAIL("berthd did not start: " << log());
    }

    /// Starts another berthd on the same root; returns its exit code.
    int run_second() const {
        pid_t pid = launch({});
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    /// SIGTERM, then SIGKILL after 10 s; returns the exit code.
    int stop() {
        if (pid_ <= 0) return -1;
        ::kill(pid_, SIGTERM);
        int status = 0;
        for (int i = 0; i < 200; ++i) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = 0;
                return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        pid_ = 0;
        return -1;
    }

    /// SIGKILL: leaves the socket file behind, as a crash would.
    void kill_hard() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = 0;
    }

    /// One request on its own connection ("Connection: close").
    HttpResponse request(const std::string& method, const std::string& target, const std::string& body = "",
                         const std::string& content_type = "application/json") const {
        int fd = connect_unix(socket_);
        REQUIRE(fd >= 0);
        std::string req = method + " " + target + " HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n";
        if (!body.empty() || method == "POST")
            req += "Content-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
        send_all(fd, req + "\r\n" + body);
        auto r = parse_response(read_all(fd));
        ::close(fd);
        return r;
    }

    /// `docker -H unix://SOCKET args...` with a hard time limit.
    test_support::Outcome docker(const std::string& args) const {
        std::string cmd = "timeout -k 5 30 docker -H unix://" + socket_ + " " + args;
        test_support::Outcome o;
        FILE* pipe = ::popen((cmd + " 2>&1").c_str(), "r");
        char buf[4096];
        while (size_t n = std::fread(buf, 1, sizeof buf, pipe)) o.out.append(buf, n);
        int status = ::pclose(pipe);
        o.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return o;
    }

    const std::string& socket() const { return socket_; }
    std::string log() const { return std::string(test_support::run_capture("cat " + test_support::shell_quote(log_path()) + " || true")); }
    const test_support::BerthCli& cli() const { return cli_; }

private:
    std::string log_path() const { return (cli_.dir() / "berthd.log").string(); }

    pid_t launch(const std::vector<std::string>& extra) const {
        std::vector<std::string> args = {std::string(BERTH_BINARY_DIR) + "/berthd", "--root", cli_.root(),
                                         "-H", "unix://" + socket_, "--cgroup-parent", cli_.cgroup_parent(),
                                         "--bridge", cli_.bridge(),
                                         "--log-file", log_path(), "--log-level", "debug"};
        args.insert(args.end(), extra.begin(), extra.end());
        pid_t pid = ::fork();
        if (pid == 0) {
            std::vector<char*> argv;
            for (auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        return pid;
    }

    test_support::BerthCli cli_;
    std::string socket_;
    pid_t pid_ = 0;
};

}  // namespace daemon_test
