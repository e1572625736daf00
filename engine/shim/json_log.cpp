#include "engine/shim/json_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

namespace engine::shim {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_unicode_escape(std::string& out, unsigned code) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(code >> shift) & 0xf];
}

// The length of the valid UTF-8 sequence at `s[i]`, or 0 when it is not valid.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = byte(i);
    std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (c >= 0xf5 || len == 0 || i + len > s.size()) return 0;
    for (std::size_t k = 1; k < len; ++k)
        if ((byte(i + k) & 0xc0) != 0x80) return 0;
    // Overlong forms, surrogates and code points above U+10FFFF.
    if (c == 0xe0 && byte(i + 1) < 0xa0) return 0;
    if (c == 0xed && byte(i + 1) >= 0xa0) return 0;
    if (c == 0xf0 && byte(i + 1) < 0x90) return 0;
    if (c == 0xf4 && byte(i + 1) >= 0x90) return 0;
    return len;
}

// Written by hand to match docker's json-file byte for byte (its jsonlog encoder, not a generic
// JSON library): Go escapes <, > and & and U+2028/U+2029 as \uXXXX, control characters other
// than \n \r \t as \u00XX, and replaces invalid UTF-8 with U+FFFD.
void append_go_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '<': case '>': case '&': append_unicode_escape(out, c); break;
            default:
                if (c < 0x20) append_unicode_escape(out, c);
                else out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        std::size_t len = utf8_sequence(s, i);
        if (len == 0) {
            append_unicode_escape(out, 0xfffd);
            ++i;
            continue;
        }
        if (len == 3 && c == 0xe2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
            (static_cast<unsigned char>(s[i + 2]) & 0xfe) == 0xa8) {
            append_unicode_escape(out, 0x2028 | (static_cast<unsigned char>(s[i + 2]) & 1));
        } else {
            out.append(s.substr(i, len));
        }
        i += len;
    }
    out += '"';
}

}  // namespace

std::string format_go_rfc3339_nano(std::int64_t unix_ns) {
    time_t secs = static_cast<time_t>(unix_ns / 1000000000);
    tm utc{};
    ::gmtime_r(&secs, &utc);
    std::string fraction = fmt::format("{:09}", unix_ns % 1000000000);
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{}Z", utc.tm_year + 1900,
                       utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                       fraction.empty() ? "" : ".", fraction);
}

std::string encode_log_entry(std::string_view log, Stream stream, std::int64_t time_ns) {
    std::string line;
    line.reserve(log.size() + 80);
    line += "{\"log\":";
    append_go_json_string(line, log);
    line += stream == Stream::kStdout ? ",\"stream\":\"stdout\",\"time\":\""
                                      : ",\"stream\":\"stderr\",\"time\":\"";
    line += format_go_rfc3339_nano(time_ns);
    line += "\"}\n";
    return line;
}

void LineSplitter::feed(const char* data, std::size_t size, const Emit& emit) {
    std::string_view input(data, size);
    while (!input.empty()) {
        std::size_t newline = input.find('\n');
        std::size_t room = kMaxLogLine - pending_.size();
        if (newline != std::string_view::npos && newline < room) {
            if (pending_.empty()) {
                emit(input.substr(0, newline + 1));
            } else {
                pending_.append(input.substr(0, newline + 1));
                emit(pending_);
                pending_.clear();
            }
            input.remove_prefix(newline + 1);
            continue;
        }
        if (input.size() < room) {
            pending_.append(input);
            return;
        }
        pending_.append(input.substr(0, room));
        input.remove_prefix(room);
        emit(pending_);
        pending_.clear();
    }
    if (pending_.empty()) pending_.shrink_to_fit();
}

void LineSplitter::finish(const Emit& emit) {
    if (!pending_.empty()) emit(pending_);
    pending_.clear();
    pending_.shrink_to_fit();
}

Result<JsonLogWriter> JsonLogWriter::open(const std::string& path, std::uint64_t max_size,
                                          unsigned max_files) {
    JsonLogWriter writer;
    writer.path_ = path;
    writer.max_size_ = max_size;
    writer.max_files_ = max_files == 0 ? 1 : max_files;
    writer.fd_.reset(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640));
    if (!writer.fd_) return sys::errno_error("open {}", path);
    struct stat st {};
    if (::fstat(writer.fd_.get(), &st) != 0) return sys::errno_error("stat {}", path);
    writer.size_ = static_cast<std::uint64_t>(st.st_size);
    return writer;
}

Status JsonLogWriter::rotate() {
    if (max_files_ >= 2) {
        ::unlink(fmt::format("{}.{}", path_, max_files_ - 1).c_str());
        for (unsigned i = max_files_ - 1; i > 1; --i) {
            std::string from = fmt::format("{}.{}", path_, i - 1);
            if (::rename(from.c_str(), fmt::format("{}.{}", path_, i).c_str()) != 0 && errno != ENOENT)
                return sys::errno_error("rename {}", from);
        }
        if (::rename(path_.c_str(), (path_ + ".1").c_str()) != 0)
            return sys::errno_error("rename {}", path_);
    }
    // With a single file docker truncates it; with more the rename left no file at path_.
    fd_.reset(::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
    if (!fd_) return sys::errno_error("open {}", path_);
    size_ = 0;
    return sys::ok();
}

Status JsonLogWriter::write(Stream stream, std::string_view log, std::int64_t time_ns) {
    if (max_size_ > 0 && size_ >= max_size_)
        if (Status rotated = rotate(); !rotated) return rotated;
    std::string line = encode_log_entry(log, stream, time_ns);
    std::string_view rest = line;
    while (!rest.empty()) {
        ssize_t n = ::write(fd_.get(), rest.data(), rest.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return sys::errno_error("write {}", path_);
        rest.remove_prefix(static_cast<std::size_t>(n));
        size_ += static_cast<std::uint64_t>(n);
    }
    return sys::ok();
}

}  // namespace engine::shim
