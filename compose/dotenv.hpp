#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compose/environment.hpp"
#include "compose/interpolate.hpp"

namespace compose {

/// How an env file is read (`env_file: {path, format}` in a service).
enum class EnvFileFormat {
    /// compose's .env syntax (compose-go's dotenv package): `KEY=VAL`, `export KEY=VAL`,
    /// `KEY: VAL`, comments, single quotes (literal), double quotes (escapes, several lines,
    /// interpolation), unquoted values (trimmed, interpolated), bare `KEY` (from the lookup).
    dotenv,
    /// `format: raw`, docker run --env-file's syntax: one `KEY=VAL` a line, the value taken
    /// verbatim (no quotes removed, no interpolation); bare `KEY` from the lookup.
    raw,
};

/// One definition in an env file, in file order.
struct EnvEntry {
    std::string name;
    /// nullopt for a bare `KEY` the lookup does not know: the key stays undefined.
    std::optional<std::string> value;
    int line = 0;  ///< 1-based line the definition starts on

    bool operator==(const EnvEntry&) const = default;
};

/// Parses env-file text. In dotenv format, `${VAR}` in values resolves against `lookup`
/// first, then against keys defined earlier in the same text (compose-go's precedence: the
/// shell wins even over the file's own earlier lines, yet the file's own values are
/// returned as written). To chain several files as compose does, pass a lookup that tries
/// the shell environment, then the files read before. A leading UTF-8 BOM is skipped.
/// Throws schema::LoadError naming `file`:line for every invalid key, unterminated quote or
/// failing template found (an unterminated quote ends the scan).
std::vector<EnvEntry> parse_dotenv(std::string_view text, const std::string& file,
                                   const Lookup& lookup,
                                   EnvFileFormat format = EnvFileFormat::dotenv,
                                   const UnsetVariableFn& on_unset = log_unset_variable);

/// Reads and parses the env file at `path` into a map; a later definition of a key wins and
/// keys left undefined are absent. Throws schema::LoadError naming `path` when the file
/// cannot be read (missing, a directory, unreadable) or does not parse.
Environment read_dotenv_file(const std::string& path, const Lookup& lookup,
                             EnvFileFormat format = EnvFileFormat::dotenv,
                             const UnsetVariableFn& on_unset = log_unset_variable);

}  // namespace compose
