#include "engine/shim/log_reader.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <deque>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "engine/shim/shim.hpp"
#include "engine/sys/clock.hpp"
#include "engine/sys/files.hpp"
#include "engine/sys/unique_fd.hpp"

namespace engine::shim {
namespace {

// Reads one file descriptor line by line, keeping an unterminated last line (a write still in
// progress) until it is completed.
class LineReader {
public:
    explicit LineReader(sys::UniqueFd fd) : fd_(std::move(fd)) {}
    int fd() const { return fd_.get(); }

    /// Reads what is available now; calls `line` for every complete line. False on a read error.
    template <typename OnLine>
    bool drain(OnLine&& line) {
        char chunk[65536];
        for (;;) {
            ssize_t n = ::read(fd_.get(), chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return false;
            if (n == 0) return true;
            pending_.append(chunk, static_cast<std::size_t>(n));
            std::size_t start = 0;
            for (std::size_t nl; (nl = pending_.find('\n', start)) != std::string::npos; start = nl + 1)
                if (!line(std::string_view(pending_).substr(start, nl - start))) {
                    pending_.erase(0, nl + 1);
                    return true;
                }
            pending_.erase(0, start);
        }
    }

private:
    sys::UniqueFd fd_;
    std::string pending_;
};

sys::UniqueFd open_log(const std::string& path) {
    return sys::UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
}

ino_t inode_of(int fd) {
    struct stat st {};
    return ::fstat(fd, &st) == 0 ? st.st_ino : 0;
}

ino_t inode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

// Selects entries by time and hands them on; false once the query is done (until passed or
// the sink stopped).
class Filter {
public:
    Filter(const LogQuery& query, const std::function<bool(const LogEntry&)>& sink)
        : query_(query), sink_(sink) {}
    bool operator()(std::string_view line) {
        auto entry = decode_log_entry(line);
        if (!entry) return true;
        if (query_.since_ns > 0 && entry->time_ns < query_.since_ns) return true;
        if (query_.until_ns > 0 && entry->time_ns > query_.until_ns) return done_ = false;
        if (!sink_(*entry)) return done_ = false;
        return true;
    }
    bool open() const { return done_; }

private:
    const LogQuery& query_;
    const std::function<bool(const LogEntry&)>& sink_;
    bool done_ = true;
};

bool container_exited(const std::string& dir) {
    return observe(dir).phase != Observed::Phase::kRunning;
}

// Follows container.log as the shim appends and rotates it, until the container has exited.
Status follow(const std::string& dir, const LogQuery& query, Filter& filter,
              std::optional<LineReader> current) {
    const std::string path = dir + "/" + kLogFile;
    for (;;) {
        bool exited = container_exited(dir);  // asked before the last read, so nothing is lost
        if (current && (!current->drain(filter) || !filter.open())) return sys::ok();
        ino_t now_at_path = inode_of(path);
        if (now_at_path != 0 && (!current || inode_of(current->fd()) != now_at_path)) {
            // Rotated (or created): the old file was drained above; go on with the new one.
            current.emplace(open_log(path));
            continue;
        }
        if (exited) return sys::ok();
        ::poll(nullptr, 0, query.poll_ms);
    }
}

// Go's time.ParseDuration: an optionally signed sequence of decimal numbers with units.
std::optional<std::int64_t> parse_go_duration(const std::string& text) {
    std::size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    if (i == text.size()) return std::nullopt;
    double total = 0;
    while (i < text.size()) {
        std::size_t start = i;
        while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
        if (start == i) return std::nullopt;
        double value = std::atof(text.substr(start, i - start).c_str());
        std::size_t unit_start = i;
        while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.') ++i;
        std::string unit = text.substr(unit_start, i - unit_start);
        double scale = unit == "ns" ? 1 : unit == "us" || unit == "\xc2\xb5s" ? 1e3 : unit == "ms" ? 1e6
                     : unit == "s" ? 1e9 : unit == "m" ? 60e9 : unit == "h" ? 3600e9 : 0;
        if (scale == 0) return std::nullopt;
        total += value * scale;
    }
    return static_cast<std::int64_t>(negative ? -total : total);
}

std::optional<std::int64_t> parse_unix_seconds(const std::string& text) {
    std::size_t dot = text.find('.');
    std::string secs = text.substr(0, dot);
    if (secs.empty() || secs.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    std::int64_t ns = std::stoll(secs) * 1000000000;
    if (dot != std::string::npos) {
        std::string frac = text.substr(dot + 1);
        if (frac.empty() || frac.size() > 9 || frac.find_first_not_of("0123456789") != std::string::npos)
            return std::nullopt;
        frac.resize(9, '0');
        ns += std::stoll(frac);
    }
    return ns;
}

// Docker reads a time without zone ("2006-01-02", "2006-01-02T15:04:05") as local time.
std::optional<std::int64_t> parse_local_time(const std::string& text) {
    tm t{};
    int consumed = 0;
    int fields = std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &t.tm_year, &t.tm_mon, &t.tm_mday, &consumed);
    if (fields != 3) return std::nullopt;
    std::string rest = text.substr(static_cast<std::size_t>(consumed));
    if (!rest.empty()) {
        int more = 0;
        if (std::sscanf(rest.c_str(), "T%2d:%2d%n", &t.tm_hour, &t.tm_min, &more) != 2) return std::nullopt;
        rest = rest.substr(static_cast<std::size_t>(more));
        if (!rest.empty() && (std::sscanf(rest.c_str(), ":%2d%n", &t.tm_sec, &more) != 1 ||
                              static_cast<std::size_t>(more) != rest.size()))
            return std::nullopt;
    }
    t.tm_year -= 1900;
    t.tm_mon -= 1;
    t.tm_isdst = -1;
    time_t secs = ::mktime(&t);
    if (secs == static_cast<time_t>(-1)) return std::nullopt;
    return static_cast<std::int64_t>(secs) * 1000000000;
}

}  // namespace

std::optional<LogEntry> decode_log_entry(std::string_view line) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::nullopt;
    auto log = j.find("log"), stream = j.find("stream"), time = j.find("time");
    if (log == j.end() || !log->is_string() || time == j.end() || !time->is_string()) return std::nullopt;
    auto ns = sys::parse_rfc3339(time->get<std::string>());
    if (!ns) return std::nullopt;
    LogEntry entry;
    entry.log = log->get<std::string>();
    entry.stream = stream != j.end() && *stream == "stderr" ? Stream::kStderr : Stream::kStdout;
    entry.time_ns = *ns;
    return entry;
}

std::vector<std::string> log_files(const std::string& dir) {
    const std::string base = dir + "/" + kLogFile;
    std::vector<std::string> rotated;
    for (unsigned i = 1;; ++i) {
        std::string name = fmt::format("{}.{}", base, i);
        if (!sys::exists(name)) break;
        rotated.push_back(name);
    }
    std::vector<std::string> files(rotated.rbegin(), rotated.rend());
    if (sys::exists(base)) files.push_back(base);
    return files;
}

Status read_logs(const std::string& dir, const LogQuery& query,
                 const std::function<bool(const LogEntry&)>& sink) {
    Filter filter(query, sink);
    std::vector<std::string> files = log_files(dir);
    std::optional<LineReader> last;
    if (query.tail) {
        // Docker applies --tail to the raw lines and --since/--until to what is left.
        std::deque<std::string> kept;
        for (const auto& file : files) {
            last.emplace(open_log(file));
            if (last->fd() < 0) return sys::errno_error("open {}", file);
            last->drain([&](std::string_view line) {
                if (*query.tail == 0) return true;
                if (kept.size() == *query.tail) kept.pop_front();
                kept.emplace_back(line);
                return true;
            });
        }
        for (const auto& line : kept)
            if (!filter(line)) return sys::ok();
    } else {
        for (const auto& file : files) {
            last.emplace(open_log(file));
            if (last->fd() < 0) return sys::errno_error("open {}", file);
            if (!last->drain(filter)) return sys::errno_error("read {}", file);
            if (!filter.open()) return sys::ok();
        }
    }
    if (!query.follow) return sys::ok();
    // `last` is container.log unless it was missing; follow picks the live file up either way.
    if (!files.empty() && files.back() != dir + "/" + kLogFile) last.reset();
    return follow(dir, query, filter, std::move(last));
}

std::optional<std::int64_t> parse_log_time(const std::string& text, std::int64_t now_ns) {
    if (text.empty()) return std::nullopt;
    if (text != "0")
        if (auto d = parse_go_duration(text)) {
            // Docker turns a relative time into whole unix seconds.
            std::int64_t at = now_ns - *d;
            return at - ((at % 1000000000) + 1000000000) % 1000000000;
        }
    if (auto unix = parse_unix_seconds(text)) return unix;
    if (auto rfc = sys::parse_rfc3339(text)) return rfc;
    return parse_local_time(text);
}

}  // namespace engine::shim
