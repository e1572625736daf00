#include <catch2/catch.hpp>

#include "engine/shim/json_log.hpp"
#include "engine/shim/log_reader.hpp"
#include "engine/shim/shim.hpp"
#include "tests/support/temp_dir.hpp"

using namespace engine::shim;

namespace {

constexpr std::int64_t kSecond = 1000000000;
constexpr std::int64_t kT0 = 1795921445 * kSecond;  // 2026-11-29T03:04:05Z

std::vector<std::string> read_all(const std::string& dir, const LogQuery& query) {
    std::vector<std::string> out;
    auto s = read_logs(dir, query, [&](const LogEntry& e) {
        out.push_back((e.stream == Stream::kStderr ? "E:" : "O:") + e.log);
        return true;
    });
    REQUIRE(s.ok());
    return out;
}

}  // namespace

TEST_CASE("a json-file line decodes to its entry", "[shim]") {
    auto e = decode_log_entry(encode_log_entry("a<b\n", Stream::kStderr, kT0 + 5));
    REQUIRE(e);
    CHECK(e->log == "a<b\n");
    CHECK(e->stream == Stream::kStderr);
    CHECK(e->time_ns == kT0 + 5);
    CHECK_FALSE(decode_log_entry("not json"));
    CHECK_FALSE(decode_log_entry("{\"log\":\"x\"}"));
}

TEST_CASE("logs are read oldest file first, with tail, since and until", "[shim]") {
    TempDir dir;
    auto writer = JsonLogWriter::open((dir.root / kLogFile).string(), 100, 3);
    REQUIRE(writer.ok());
    for (int i = 0; i < 6; ++i)
        REQUIRE(writer.value().write(i % 2 ? Stream::kStderr : Stream::kStdout, fmt::format("line {}\n", i),
                                     kT0 + i * kSecond).ok());
    std::string d = dir.root.string();
    REQUIRE(log_files(d).size() == 3);
    CHECK(log_files(d).back() == d + "/container.log");

    CHECK(read_all(d, {}) == std::vector<std::string>{"O:line 0\n", "E:line 1\n", "O:line 2\n",
                                                      "E:line 3\n", "O:line 4\n", "E:line 5\n"});
    LogQuery tail;
    tail.tail = 2;
    CHECK(read_all(d, tail) == std::vector<std::string>{"O:line 4\n", "E:line 5\n"});
    tail.tail = 0;
    CHECK(read_all(d, tail).empty());
    LogQuery window;
    window.since_ns = kT0 + 2 * kSecond;
    window.until_ns = kT0 + 3 * kSecond;
    CHECK(read_all(d, window) == std::vector<std::string>{"O:line 2\n", "E:line 3\n"});
    // tail applies before since, as docker does it.
    LogQuery both;
    both.tail = 3;
    both.since_ns = kT0 + 4 * kSecond;
    CHECK(read_all(d, both) == std::vector<std::string>{"O:line 4\n", "E:line 5\n"});
}

TEST_CASE("follow returns once the container is not running", "[shim]") {
    TempDir dir;
    dir.write(kLogFile, encode_log_entry("x\n", Stream::kStdout, kT0));
    dir.write(kExitFile, R"({"exit_code":0})");
    LogQuery follow;
    follow.follow = true;
    CHECK(read_all(dir.root.string(), follow) == std::vector<std::string>{"O:x\n"});
}

TEST_CASE("--since and --until take docker's time forms", "[shim]") {
    const std::int64_t now = kT0 + 500000000;
    CHECK(parse_log_time("10m", now) == kT0 - 600 * kSecond);
    CHECK(parse_log_time("1h30m", now) == kT0 - 5400 * kSecond);
    CHECK(parse_log_time("1.5s", now) == kT0 - kSecond);
    CHECK(parse_log_time("1795921445", now) == kT0);
    CHECK(parse_log_time("1795921445.25", now) == kT0 + 250000000);
    CHECK(parse_log_time("2026-11-29T03:04:05Z", now) == kT0);
    CHECK(parse_log_time("2026-11-29T04:04:05.5+01:00", now) == kT0 + 500000000);
    CHECK_FALSE(parse_log_time("yesterday", now));
    CHECK_FALSE(parse_log_time("10x", now));
    CHECK_FALSE(parse_log_time("", now));
}
