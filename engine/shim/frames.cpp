#include "engine/shim/frames.hpp"

namespace engine::shim {

std::string encode_frame(Frame type, std::string_view payload) {
    std::string frame;
    frame.reserve(kFrameHeader + payload.size());
    frame.push_back(static_cast<char>(type));
    auto len = static_cast<std::uint32_t>(payload.size());
    for (int shift = 24; shift >= 0; shift -= 8) frame.push_back(static_cast<char>((len >> shift) & 0xff));
    frame.append(payload);
    return frame;
}

std::optional<DecodedFrame> FrameDecoder::next() {
    if (failed_) return std::nullopt;
    std::size_t available = buffer_.size() - consumed_;
    if (available < kFrameHeader) {
        // Compact only when nothing complete is left, so a burst of small frames costs one copy.
        buffer_.erase(0, consumed_);
        consumed_ = 0;
        return std::nullopt;
    }
    const char* header = buffer_.data() + consumed_;
    std::uint32_t len = 0;
    for (int i = 1; i < 5; ++i) len = (len << 8) | static_cast<unsigned char>(header[i]);
    if (len > kMaxFramePayload) {
        failed_ = true;
        return std::nullopt;
    }
    if (available < kFrameHeader + len) {
        buffer_.erase(0, consumed_);
        consumed_ = 0;
        return std::nullopt;
    }
    DecodedFrame frame{static_cast<Frame>(header[0]), std::string(header + kFrameHeader, len)};
    consumed_ += kFrameHeader + len;
    if (consumed_ == buffer_.size()) {
        buffer_.clear();
        buffer_.shrink_to_fit();  // an idle shim keeps no buffer around
        consumed_ = 0;
    }
    return frame;
}

}  // namespace engine::shim
