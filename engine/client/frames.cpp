#include "engine/client/frames.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace engine::client {

ApiStatus FrameDemuxer::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        if (payload_left_ > 0) {
            std::size_t n = std::min<std::size_t>(payload_left_, bytes.size());
            sink_(current_, bytes.substr(0, n));
            payload_left_ -= static_cast<std::uint32_t>(n);
            bytes.remove_prefix(n);
            continue;
        }
        std::size_t n = std::min(header_.size() - header_len_, bytes.size());
        std::copy_n(bytes.begin(), n, header_.begin() + header_len_);
        header_len_ += n;
        bytes.remove_prefix(n);
        if (header_len_ == header_.size()) {
            if (auto st = take_header(); !st) return st;
        }
    }
    return api_ok();
}

ApiStatus FrameDemuxer::take_header() {
    header_len_ = 0;
    if (header_[0] > 2 || header_[1] != 0 || header_[2] != 0 || header_[3] != 0)
        return ApiError{ErrorKind::protocol, 0,
                        fmt::format("read stream frame: bad header (stream byte {}), not a multiplexed stream",
                                    header_[0])};
    std::uint32_t size = (std::uint32_t{header_[4]} << 24) | (std::uint32_t{header_[5]} << 16) |
                         (std::uint32_t{header_[6]} << 8) | std::uint32_t{header_[7]};
    if (size > kMaxFrame)
        return ApiError{ErrorKind::protocol, 0,
                        fmt::format("read stream frame: size {} exceeds the limit of {}", size, kMaxFrame)};
    // Stream 0 (stdin) is written to stdout, as Docker's stdcopy does.
    current_ = header_[0] == 2 ? StreamId::stderr_ : StreamId::stdout_;
    payload_left_ = size;
    return api_ok();
}

ApiStatus FrameDemuxer::finish() const {
    if (header_len_ == 0 && payload_left_ == 0) return api_ok();
    return ApiError{ErrorKind::protocol, 0, "read stream frame: stream ended inside a frame"};
}

}  // namespace engine::client
