#pragma once

// Encoding and incremental decoding of attach frames (see Frame in shim.hpp): 1 byte type,
// 4 bytes big-endian payload length, payload.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/shim/shim.hpp"

namespace engine::shim {

inline constexpr std::size_t kFrameHeader = 5;
/// Larger frames are a protocol error: no legitimate sender produces them, and accepting any
/// length would let one client make the shim allocate without bound.
inline constexpr std::uint32_t kMaxFramePayload = 1u << 20;

std::string encode_frame(Frame type, std::string_view payload);

struct DecodedFrame {
    Frame type;
    std::string payload;
};

/// Reassembles frames from reads of any size (a frame may arrive split over several reads, or
/// several frames in one).
class FrameDecoder {
public:
    void feed(const char* data, std::size_t size) { buffer_.append(data, size); }
    /// The next complete frame, if one has arrived.
    std::optional<DecodedFrame> next();
    /// True once a frame announced a payload larger than kMaxFramePayload; the stream is then
    /// unusable.
    bool failed() const { return failed_; }

private:
    std::string buffer_;
    std::size_t consumed_ = 0;
    bool failed_ = false;
};

}  // namespace engine::shim
