#include "engine/client/hijack.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace engine::client {

namespace {

ApiError io_error(const char* what) { return ApiError{ErrorKind::io, 0, std::string(what) + ": " + std::strerror(errno)}; }

}  // namespace

ApiResult<std::size_t> HijackedStream::read(char* buffer, std::size_t size) {
    if (pending()) {
        std::size_t n = std::min(size, pending_.size() - pending_offset_);
        std::memcpy(buffer, pending_.data() + pending_offset_, n);
        pending_offset_ += n;
        return n;
    }
    for (;;) {
        ssize_t n = ::read(fd_.get(), buffer, size);
        if (n >= 0) return static_cast<std::size_t>(n);
        if (errno == EINTR) continue;
        if (errno == ECONNRESET) return std::size_t{0};
        return io_error("read attached stream");
    }
}

ApiStatus HijackedStream::write_all(std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error("write attached stream");
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return api_ok();
}

ApiStatus HijackedStream::close_write() {
    if (::shutdown(fd_.get(), SHUT_WR) != 0) return io_error("half-close attached stream");
    return api_ok();
}

ApiStatus HijackedStream::pump_output(bool tty, const FrameDemuxer::Sink& sink) {
    FrameDemuxer demuxer(sink);
    char buffer[32 * 1024];
    for (;;) {
        auto n = read(buffer, sizeof buffer);
        if (!n) return n.error();
        if (n.value() == 0) return tty ? api_ok() : demuxer.finish();
        std::string_view piece(buffer, n.value());
        if (tty) {
            sink(StreamId::stdout_, piece);
        } else if (auto st = demuxer.feed(piece); !st) {
            return st;
        }
    }
}

}  // namespace engine::client
