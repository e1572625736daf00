#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "compose/document.hpp"

// Parsers for the compact string forms of the compose format. No library parses these the way
// docker does, so they are written by hand after the behaviour of docker/go-connections (ports),
// compose-go's format package (volumes), go-units (byte sizes), str2duration (durations) and
// go-shellwords (command lines). All are pure; they throw SyntaxError with a message that
// canonicalize() places at the value's location.

namespace compose {

/// A malformed short-syntax value; what() is the reason, without location.
class SyntaxError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// "[[ip:](port|range):](port|range)[/proto]" -> canonical port items
/// {mode: ingress, host_ip?, target, published?, protocol}, one per container port.
std::vector<Tree> parse_port(const std::string& spec);

/// "SRC:DST[:MODES]" or "DST" -> canonical mount {type, source?, target, read_only?, bind|volume}.
Tree parse_volume(const std::string& spec);

/// "src[:dst[:perms]]" -> {source, target, permissions}.
Tree parse_device(const std::string& spec);

/// A duration such as "1m30s", "1.5h", "2d" in nanoseconds.
int64_t parse_duration(std::string_view text);

/// Nanoseconds as Go's time.Duration prints them: "1h0m0s", "1m30s", "1.5s", "500ms", "0s".
std::string format_duration(int64_t nanoseconds);

/// A byte size such as "50M", "1kb", "1.5g" (binary units, case-insensitive) in bytes.
int64_t parse_bytes(std::string_view text);

/// Splits a command line into words the way a POSIX shell would, without expanding anything.
std::vector<std::string> shell_split(std::string_view text);

/// A scalar as Go's fmt.Sprint renders it (true, 42, 2.5); nullopt for null and containers.
std::optional<std::string> scalar_string(const Tree& value);

}  // namespace compose
