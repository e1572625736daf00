#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace engine::sys {

/// Nanoseconds since the Unix epoch, from CLOCK_REALTIME.
std::int64_t now_ns();

/// RFC 3339 with nanoseconds in UTC, as Docker writes times: "2026-11-28T20:34:20.123456789Z".
std::string format_rfc3339_nano(std::int64_t unix_ns);

/// Parses RFC 3339 ("…Z" or "…+01:00", optional fraction) to nanoseconds since the epoch.
std::optional<std::int64_t> parse_rfc3339(const std::string& text);

/// Docker's human duration ("Less than a second", "5 seconds", "About a minute", "3 hours",
/// "2 weeks") for `ns` nanoseconds.
std::string human_duration(std::int64_t ns);

}  // namespace engine::sys
