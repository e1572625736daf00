#include "engine/runtime/sync.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace engine::runtime::sync {

void send(int fd, Kind kind, const std::string& payload) {
    std::string record(1, static_cast<char>(kind));
    record += payload;
    while (::send(fd, record.data(), record.size(), MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
}

void send_error(int fd, const Error& error) {
    send(fd, Kind::kError, std::to_string(error.sys_errno) + " " + error.message);
}

namespace {

ssize_t receive(int fd, char* buf, size_t size) {
    ssize_t n;
    do n = ::recv(fd, buf, size, 0);
    while (n < 0 && errno == EINTR);
    return n;
}

}  // namespace

bool wait_go(int fd) {
    char buf[16];
    return receive(fd, buf, sizeof buf) > 0 && buf[0] == static_cast<char>(Kind::kGo);
}

Status wait_exec(int fd, pid_t* pid) {
    char buf[8192];
    for (;;) {
        ssize_t n = receive(fd, buf, sizeof buf);
        if (n == 0) return sys::ok();
        if (n < 0) return sys::errno_error("read from the container's setup");
        std::string payload(buf + 1, static_cast<size_t>(n - 1));
        if (buf[0] == static_cast<char>(Kind::kPid)) {
            if (pid) std::from_chars(payload.data(), payload.data() + payload.size(), *pid);
            continue;
        }
        int err = 0;
        auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), err);
        std::string message = end < payload.data() + payload.size() ? std::string(end + 1) : "";
        return Error{err, message};
    }
}

}  // namespace engine::runtime::sync
