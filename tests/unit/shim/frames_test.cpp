#include <catch2/catch.hpp>

#include "engine/shim/frames.hpp"

using namespace engine::shim;

TEST_CASE("a frame is type, big-endian length, payload", "[shim]") {
    std::string frame = encode_frame(Frame::kStdout, "hi");
    REQUIRE(frame == std::string("\x01\x00\x00\x00\x02hi", 7));
    REQUIRE(encode_frame(Frame::kCloseStdin, "") == std::string("\x04\x00\x00\x00\x00", 5));
}

TEST_CASE("the decoder reassembles frames split over reads of any size", "[shim]") {
    std::string stream = encode_frame(Frame::kStdin, "hello") + encode_frame(Frame::kResize, "24 80") +
                         encode_frame(Frame::kCloseStdin, "") + encode_frame(Frame::kStdin, std::string(70000, 'x'));
    for (std::size_t chunk : {1u, 2u, 3u, 7u, 4096u, 1000000u}) {
        FrameDecoder decoder;
        std::vector<DecodedFrame> frames;
        for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
            decoder.feed(stream.data() + pos, std::min(chunk, stream.size() - pos));
            while (auto f = decoder.next()) frames.push_back(std::move(*f));
        }
        REQUIRE(frames.size() == 4);
        CHECK(frames[0].type == Frame::kStdin);
        CHECK(frames[0].payload == "hello");
        CHECK(frames[1].type == Frame::kResize);
        CHECK(frames[1].payload == "24 80");
        CHECK(frames[2].type == Frame::kCloseStdin);
        CHECK(frames[2].payload.empty());
        CHECK(frames[3].payload.size() == 70000);
        CHECK_FALSE(decoder.next());
    }
}

TEST_CASE("the decoder refuses a frame longer than the limit", "[shim]") {
    FrameDecoder decoder;
    std::string header("\x00\x7f\xff\xff\xff", 5);
    decoder.feed(header.data(), header.size());
    REQUIRE_FALSE(decoder.next());
    REQUIRE(decoder.failed());
}
