#include "engine/sys/clock.hpp"

#include <time.h>

#include <cctype>
#include <cstdio>

#include <fmt/format.h>

namespace engine::sys {

std::int64_t now_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

std::string format_rfc3339_nano(std::int64_t unix_ns) {
    time_t secs = static_cast<time_t>(unix_ns / 1000000000);
    tm utc{};
    ::gmtime_r(&secs, &utc);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                       unix_ns % 1000000000);
}

std::optional<std::int64_t> parse_rfc3339(const std::string& text) {
    tm t{};
    int consumed = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &t.tm_year, &t.tm_mon, &t.tm_mday,
                    &t.tm_hour, &t.tm_min, &t.tm_sec, &consumed) != 6)
        return std::nullopt;
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    std::int64_t ns = 0;
    size_t pos = static_cast<size_t>(consumed);
    if (pos < text.size() && text[pos] == '.') {
        std::int64_t scale = 100000000;
        for (++pos; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
            ns += (text[pos] - '0') * scale;
            scale /= 10;
        }
    }
    std::int64_t offset = 0;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
        int hh = 0, mm = 0;
        if (std::sscanf(text.c_str() + pos + 1, "%2d:%2d", &hh, &mm) != 2) return std::nullopt;
        offset = (text[pos] == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
    } else if (pos >= text.size() || (text[pos] != 'Z' && text[pos] != 'z')) {
        return std::nullopt;
    }
    return (static_cast<std::int64_t>(::timegm(&t)) - offset) * 1000000000 + ns;
}

std::string human_duration(std::int64_t ns) {
    // Mirrors go-units HumanDuration, which docker ps uses for "Up …" and "… ago".
    std::int64_t s = ns / 1000000000;
    std::int64_t minutes = s / 60, hours = minutes / 60;
    if (s < 1) return "Less than a second";
    if (s == 1) return "1 second";
    if (s < 60) return fmt::format("{} seconds", s);
    if (minutes == 1) return "About a minute";
    if (minutes < 60) return fmt::format("{} minutes", minutes);
    if (hours == 1) return "About an hour";
    if (hours < 48) return fmt::format("{} hours", hours);
    if (hours < 24 * 7 * 2) return fmt::format("{} days", hours / 24);
    if (hours < 24 * 30 * 2) return fmt::format("{} weeks", hours / 24 / 7);
    if (hours < 24 * 365 * 2) return fmt::format("{} months", hours / 24 / 30);
    return fmt::format("{} years", hours / 24 / 365);
}

}  // namespace engine::sys
