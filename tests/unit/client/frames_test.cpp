#include <string>

#include <catch2/catch.hpp>

#include "engine/client/frames.hpp"

using engine::client::FrameDemuxer;
using engine::client::StreamId;

namespace {

std::string frame(char stream, const std::string& payload) {
    std::string header{stream, 0, 0, 0};
    auto size = static_cast<std::uint32_t>(payload.size());
    header += static_cast<char>(size >> 24);
    header += static_cast<char>(size >> 16);
    header += static_cast<char>(size >> 8);
    header += static_cast<char>(size);
    return header + payload;
}

struct Collected {
    std::string out, err;
    FrameDemuxer demuxer{[this](StreamId id, std::string_view bytes) {
        (id == StreamId::stderr_ ? err : out).append(bytes);
    }};
};

}  // namespace

TEST_CASE("frames: whole frames go to their streams", "[client][frames]") {
    Collected c;
    REQUIRE(c.demuxer.feed(frame(1, "out1\n") + frame(2, "err1\n") + frame(1, "out2\n")).ok());
    REQUIRE(c.demuxer.finish().ok());
    CHECK(c.out == "out1\nout2\n");
    CHECK(c.err == "err1\n");
}

TEST_CASE("frames: bytes cut anywhere, even inside headers, give the same result", "[client][frames]") {
    std::string wire = frame(1, "hello\n") + frame(2, "") + frame(2, "oops\n") + frame(0, "in");
    for (std::size_t step : {1, 2, 3, 7, 9, 13}) {
        Collected c;
        for (std::size_t i = 0; i < wire.size(); i += step) REQUIRE(c.demuxer.feed(wire.substr(i, step)).ok());
        REQUIRE(c.demuxer.finish().ok());
        CHECK(c.out == "hello\nin");  // stream 0 goes to stdout, as Docker's stdcopy
        CHECK(c.err == "oops\n");
    }
}

TEST_CASE("frames: a stream ending inside a header or payload is an error", "[client][frames]") {
    Collected partial_header;
    REQUIRE(partial_header.demuxer.feed(frame(1, "abc").substr(0, 5)).ok());
    CHECK_FALSE(partial_header.demuxer.finish().ok());

    Collected partial_payload;
    REQUIRE(partial_payload.demuxer.feed(frame(1, "abcdef").substr(0, 10)).ok());
    CHECK(partial_payload.out == "ab");
    CHECK_FALSE(partial_payload.demuxer.finish().ok());
}

TEST_CASE("frames: huge sizes and foreign bytes are rejected", "[client][frames]") {
    Collected huge;
    std::string header{1, 0, 0, 0, '\x7f', '\xff', '\xff', '\xff'};
    auto st = huge.demuxer.feed(header);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().message.find("exceeds") != std::string::npos);

    Collected tty_text;  // raw TTY output read as if it were multiplexed
    CHECK_FALSE(tty_text.demuxer.feed("hello world\r\n").ok());

    Collected bad_padding;
    CHECK_FALSE(bad_padding.demuxer.feed(std::string{1, 0, 1, 0, 0, 0, 0, 1}).ok());
}
