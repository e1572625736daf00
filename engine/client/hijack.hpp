#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/client/api_error.hpp"
#include "engine/client/frames.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::client {

/// The raw socket of a hijacked attach or exec start (after `101 UPGRADED`): stdin goes in
/// unframed, output comes back multiplexed (no TTY) or raw (TTY).
class HijackedStream {
public:
    HijackedStream(sys::UniqueFd fd, std::string already_read)
        : fd_(std::move(fd)), pending_(std::move(already_read)) {}

    /// For poll(); bytes may already be buffered, so read() first when pending() is true.
    int fd() const { return fd_.get(); }
    bool pending() const { return pending_offset_ < pending_.size(); }

    /// Up to `size` bytes; 0 at end of stream.
    ApiResult<std::size_t> read(char* buffer, std::size_t size);
    ApiStatus write_all(std::string_view bytes);
    /// Half-close: the daemon sees stdin's end and keeps sending output.
    ApiStatus close_write();
    /// Reads to the end of the stream, demultiplexed unless `tty` (then all goes to stdout).
    ApiStatus pump_output(bool tty, const FrameDemuxer::Sink& sink);

private:
    sys::UniqueFd fd_;
    std::string pending_;
    std::size_t pending_offset_ = 0;
};

}  // namespace engine::client
