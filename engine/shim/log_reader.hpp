#pragma once

// Reading a container's json-file logs for `berth logs`: the rotated files oldest first, then
// container.log, with docker's --tail, --since, --until and --follow.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/shim/json_log.hpp"
#include "engine/sys/result.hpp"

namespace engine::shim {

struct LogEntry {
    std::string log;
    Stream stream = Stream::kStdout;
    std::int64_t time_ns = 0;
};

/// Parses one json-file line (without or with its newline); nullopt for anything else.
std::optional<LogEntry> decode_log_entry(std::string_view line);

/// The log files of the container directory `dir` that exist, oldest first.
std::vector<std::string> log_files(const std::string& dir);

struct LogQuery {
    std::optional<std::size_t> tail;  ///< only the last N entries (before since/until, as docker)
    std::int64_t since_ns = 0;        ///< 0: from the start
    std::int64_t until_ns = 0;        ///< 0: no end
    bool follow = false;              ///< then wait for more until the container has exited
    int poll_ms = 100;                ///< how often follow looks for more output
};

/// Calls `sink` for each entry the query selects, in order; `sink` returns false to stop.
Status read_logs(const std::string& dir, const LogQuery& query,
                 const std::function<bool(const LogEntry&)>& sink);

/// A --since/--until value as docker takes it, in ns since the epoch: a Go duration before `now`
/// ("10m", "1h30m"), unix seconds with an optional fraction, RFC 3339, or a date/time without
/// zone (local time).
std::optional<std::int64_t> parse_log_time(const std::string& text, std::int64_t now_ns);

}  // namespace engine::shim
