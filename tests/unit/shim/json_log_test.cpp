#include <catch2/catch.hpp>

#include "engine/shim/json_log.hpp"
#include "tests/support/temp_dir.hpp"

using namespace engine::shim;

namespace {
constexpr std::int64_t kTime = 1795921445123456789;  // 2026-11-29T03:04:05.123456789Z
}

TEST_CASE("log entries are docker's json-file lines", "[shim]") {
    CHECK(encode_log_entry("hello\n", Stream::kStdout, kTime) ==
          "{\"log\":\"hello\\n\",\"stream\":\"stdout\",\"time\":\"2026-11-29T03:04:05.123456789Z\"}\n");
    CHECK(encode_log_entry("x", Stream::kStderr, 1795921445000000000) ==
          "{\"log\":\"x\",\"stream\":\"stderr\",\"time\":\"2026-11-29T03:04:05Z\"}\n");
    CHECK(format_go_rfc3339_nano(1795921445120000000) == "2026-11-29T03:04:05.12Z");
}

TEST_CASE("log text is escaped as Go's encoder does", "[shim]") {
    auto log_of = [](std::string_view text) {
        std::string line = encode_log_entry(text, Stream::kStdout, kTime);
        return line.substr(7, line.find(",\"stream\"") - 7);
    };
    CHECK(log_of("a\"b\\c\td\re") == R"("a\"b\\c\td\re")");
    CHECK(log_of("<a&b>") == R"("\u003ca\u0026b\u003e")");
    CHECK(log_of(std::string("\x01\x1b[0m", 5)) == R"("\u0001\u001b[0m")");
    CHECK(log_of("caf\xc3\xa9 \xe2\x82\xac") == "\"caf\xc3\xa9 \xe2\x82\xac\"");
    CHECK(log_of("bad\xff\xc3") == R"("bad\ufffd\ufffd")");
    CHECK(log_of("\xe2\x80\xa8\xe2\x80\xa9") == R"("\u2028\u2029")");
}

TEST_CASE("output is cut into lines, long lines at 16 KiB, the rest at EOF", "[shim]") {
    LineSplitter splitter;
    std::vector<std::string> entries;
    auto emit = [&](std::string_view e) { entries.emplace_back(e); };
    splitter.feed("one\ntw", 6, emit);
    splitter.feed("o\nthr", 5, emit);
    REQUIRE(entries == std::vector<std::string>{"one\n", "two\n"});
    std::string big(kMaxLogLine + 10, 'x');
    big += "\n";
    splitter.feed(big.data(), big.size(), emit);
    REQUIRE(entries.size() == 4);
    CHECK(entries[2] == "thr" + std::string(kMaxLogLine - 3, 'x'));
    CHECK(entries[3] == std::string(13, 'x') + "\n");
    splitter.feed("tail", 4, emit);
    splitter.finish(emit);
    REQUIRE(entries.size() == 5);
    CHECK(entries[4] == "tail");
}

TEST_CASE("the log rotates as docker's max-size/max-file", "[shim]") {
    TempDir dir;
    std::string path = (dir.root / "container.log").string();
    auto writer = JsonLogWriter::open(path, 100, 3);
    REQUIRE(writer.ok());
    std::size_t line = encode_log_entry("0123456789\n", Stream::kStdout, kTime).size();
    REQUIRE(line > 50);
    for (int i = 0; i < 7; ++i)
        REQUIRE(writer.value().write(Stream::kStdout, fmt::format("{:010}\n", i), kTime).ok());
    // 2 entries reach 100 bytes; the file rotates before the third is written.
    CHECK(dir.read("container.log").find("0000000006") != std::string::npos);
    CHECK(dir.read("container.log.1").find("0000000004") != std::string::npos);
    CHECK(dir.read("container.log.1").find("0000000005") != std::string::npos);
    CHECK(dir.read("container.log.2").find("0000000002") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.root / "container.log.3"));

    auto single = JsonLogWriter::open((dir.root / "one.log").string(), 10, 1);
    REQUIRE(single.ok());
    REQUIRE(single.value().write(Stream::kStdout, "first\n", kTime).ok());
    REQUIRE(single.value().write(Stream::kStdout, "second\n", kTime).ok());
    CHECK(dir.read("one.log").find("second") != std::string::npos);
    CHECK(dir.read("one.log").find("first") == std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.root / "one.log.1"));
}
