#pragma once

// Docker's json-file log format, written by the shim and read by `berth logs`:
//   {"log":"hello\n","stream":"stdout","time":"2026-11-29T03:04:05.123456789Z"}
// one entry per line of output; a line longer than 16 KiB, or the unterminated rest at EOF, is
// its own entry without the newline (docker's copier does the same).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "engine/sys/result.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::shim {

enum class Stream { kStdout, kStderr };

inline constexpr std::size_t kMaxLogLine = 16 * 1024;

/// One json-file line, with its trailing newline.
std::string encode_log_entry(std::string_view log, Stream stream, std::int64_t time_ns);

/// RFC 3339 as Go's time.RFC3339Nano writes it: UTC, trailing zeros of the fraction dropped.
std::string format_go_rfc3339_nano(std::int64_t unix_ns);

/// Cuts one output stream into log entries: every complete line, or kMaxLogLine bytes of a line
/// that goes on.
class LineSplitter {
public:
    using Emit = std::function<void(std::string_view)>;
    void feed(const char* data, std::size_t size, const Emit& emit);
    /// Emits whatever unterminated output is left (at EOF).
    void finish(const Emit& emit);

private:
    std::string pending_;
};

/// Appends entries to <dir>/container.log, rotating as docker's json-file driver with
/// max-size/max-file: before a write, a file that reached `max_size` becomes container.log.1
/// (the older ones shift up to .N-1, the oldest is dropped); with one file it is truncated.
class JsonLogWriter {
public:
    static Result<JsonLogWriter> open(const std::string& path, std::uint64_t max_size,
                                      unsigned max_files);
    Status write(Stream stream, std::string_view log, std::int64_t time_ns);

private:
    Status rotate();

    std::string path_;
    sys::UniqueFd fd_;
    std::uint64_t size_ = 0;
    std::uint64_t max_size_ = 0;
    unsigned max_files_ = 1;
};

}  // namespace engine::shim
