#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string_view>

#include "engine/client/api_error.hpp"

namespace engine::client {

enum class StreamId : std::uint8_t { stdin_ = 0, stdout_ = 1, stderr_ = 2 };

/// Splits Docker's multiplexed stream (logs and attach without a TTY) into its streams. Each frame
/// is an 8-byte header [stream, 0, 0, 0, size as big-endian u32] and `size` payload bytes. Bytes
/// may arrive cut anywhere; payload is passed on as it arrives (one frame can reach the sink in
/// pieces), so a frame is never buffered whole. Written by hand: Beast and Asio know nothing of
/// this framing.
class FrameDemuxer {
public:
    using Sink = std::function<void(StreamId, std::string_view)>;

    /// Frames larger than this are taken for corruption (e.g. a TTY stream read as multiplexed).
    static constexpr std::uint32_t kMaxFrame = 16u << 20;

    explicit FrameDemuxer(Sink sink) : sink_(std::move(sink)) {}

    /// Consumes `bytes`; an error for a malformed header (then the stream is unusable).
    ApiStatus feed(std::string_view bytes);
    /// At end of stream: an error if it ended inside a frame.
    ApiStatus finish() const;

private:
    ApiStatus take_header();

    Sink sink_;
    std::array<unsigned char, 8> header_{};
    std::size_t header_len_ = 0;
    std::uint32_t payload_left_ = 0;
    StreamId current_ = StreamId::stdout_;
};

}  // namespace engine::client
