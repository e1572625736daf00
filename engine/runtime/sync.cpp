#include "engine/runtime/sync.hpp"

#include <sys/socket.h>
#include <unistd.h>

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

// Room for one passed fd beside one buffer.
struct FdMessage {
    iovec iov;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    FdMessage(void* data, size_t size) : iov{data, size} {
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
    }
};

}  // namespace

Status send_console(int fd, int passed) {
    char kind = static_cast<char>(Kind::kConsole);
    FdMessage m(&kind, 1);
    msghdr& msg = m.msg;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &passed, sizeof(int));
    if (::sendmsg(fd, &msg, MSG_NOSIGNAL) < 0) return sys::errno_error("pass the console");
    return sys::ok();
}

namespace {

// One record; a passed fd (close-on-exec) goes to `*passed`.
ssize_t receive(int fd, char* buf, size_t size, int* passed = nullptr) {
    FdMessage m(buf, size);
    msghdr& msg = m.msg;
    ssize_t n;
    do n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); n > 0 && c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int fd_in = -1;
        std::memcpy(&fd_in, CMSG_DATA(c), sizeof(int));
        if (passed && *passed < 0) *passed = fd_in;
        else ::close(fd_in);
    }
    return n;
}

}  // namespace

bool wait_go(int fd) {
    char buf[16];
    return receive(fd, buf, sizeof buf) > 0 && buf[0] == static_cast<char>(Kind::kGo);
}

Status wait_exec(int fd, pid_t* pid, int* console) {
    char buf[8192];
    for (;;) {
        ssize_t n = receive(fd, buf, sizeof buf, console);
        if (n == 0) return sys::ok();
        if (n < 0) return sys::errno_error("read from the container's setup");
        std::string payload(buf + 1, static_cast<size_t>(n - 1));
        if (buf[0] == static_cast<char>(Kind::kPid)) {
            if (pid) std::from_chars(payload.data(), payload.data() + payload.size(), *pid);
            continue;
        }
        if (buf[0] == static_cast<char>(Kind::kConsole)) continue;
        int err = 0;
        auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), err);
        std::string message = end < payload.data() + payload.size() ? std::string(end + 1) : "";
        return Error{err, message};
    }
}

}  // namespace engine::runtime::sync
