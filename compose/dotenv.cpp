// A hand-written parser: no library reads compose's .env dialect (compose-go's dotenv package,
// itself a fork of joho/godotenv) or docker's --env-file format.
#include "compose/dotenv.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "compose/read_file.hpp"
#include "schema/location.hpp"

namespace compose {

namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// compose-go's isSpace: blanks that do not end a line, U+0085 and U+00A0 included. Returns the
// byte length of the blank at `at`, 0 if there is none.
size_t blank_length(std::string_view s, size_t at) {
    if (at >= s.size()) return 0;
    if (std::strchr("\t\v\f\r ", s[at]) != nullptr && s[at] != '\0') return 1;
    if (s.substr(at, 2) == "\xC2\x85" || s.substr(at, 2) == "\xC2\xA0") return 2;
    return 0;
}

// Go's unicode.IsSpace as far as it matters here: the blanks plus the newline. (Spaces beyond
// Latin-1, like U+2003, are not recognised.)
size_t space_length(std::string_view s, size_t at) {
    return at < s.size() && s[at] == '\n' ? 1 : blank_length(s, at);
}

size_t skip_blanks(std::string_view s, size_t at) {
    while (size_t n = blank_length(s, at)) at += n;
    return at;
}

std::string_view trim_right_spaces(std::string_view s) {
    while (!s.empty()) {
        if (s.size() >= 2 && space_length(s, s.size() - 2) == 2) {
            s.remove_suffix(2);
        } else if (space_length(s, s.size() - 1) == 1) {
            s.remove_suffix(1);
        } else {
            break;
        }
    }
    return s;
}

std::string_view first_line(std::string_view s) {
    s = s.substr(0, s.find('\n'));
    if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
    return s;
}

// Letters and digits of any script are allowed; bytes of multi-byte UTF-8 characters are taken
// as letters, which accepts a few symbols compose-go rejects.
bool is_key_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || u >= 0x80 || std::strchr("_.-[]", c) != nullptr;
}

std::string quote_char(char c) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return fmt::format("\"\\x{:02x}\"", u);
    return fmt::format("\"{}\"", c);
}

void append_code_point(std::string& out, unsigned value) {
    if (value < 0x80) {
        out += static_cast<char>(value);
    } else {
        out += static_cast<char>(0xC0 | (value >> 6));
        out += static_cast<char>(0x80 | (value & 0x3F));
    }
}

// `\0` plus up to three digits. compose-go rewrites it to Go's `\ddd` octal escape; what Go
// then rejects (too few digits, 8 or 9, over 255) is kept as rewritten, without the 0.
size_t octal_escape(std::string_view s, size_t backslash, std::string& out) {
    size_t begin = backslash + 2;
    size_t n = 0;
    while (n < 3 && begin + n < s.size() && std::isdigit(static_cast<unsigned char>(s[begin + n])))
        ++n;
    std::string_view digits = s.substr(begin, n);
    unsigned value = 0;
    bool octal = n == 3;
    for (char d : digits) {
        octal = octal && d <= '7';
        value = value * 8 + static_cast<unsigned>(d - '0');
    }
    if (octal && value <= 255) {
        append_code_point(out, value);
    } else {
        out += '\\';
        out += digits;
    }
    return 2 + n;
}

// The escapes of a double-quoted value; returns how many characters of `s` were consumed.
size_t expand_escape(std::string_view s, size_t backslash, std::string& out) {
    char c = s[backslash + 1];
    const char* from = "abfnrtv\"\\";
    const char* to = "\a\b\f\n\r\t\v\"\\";
    if (const char* hit = std::strchr(from, c); hit != nullptr && c != '\0') {
        out += to[hit - from];
        return 2;
    }
    // `\$` is a literal dollar: hand the template expander its own escape for one.
    if (c == '$') {
        out += "$$";
        return 2;
    }
    if (c == '0') return octal_escape(s, backslash, out);
    out += '\\';  // anything else (`\x07`, `\u12e4`, `\ `) stays as written
    return 1;
}

std::string expand_escapes(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size();) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            i += expand_escape(s, i, out);
        } else {
            out += s[i++];
        }
    }
    return out;
}


// compose-go's dotenv parser. It scans statements, not lines: a quoted value may span lines,
// and whatever follows a closing quote on its line is read as the next statement.
class DotenvParser {
public:
    DotenvParser(std::string_view text, const std::string& file, const Lookup& lookup,
                 const UnsetVariableFn& on_unset)
        : text_(text), file_(file), lookup_(lookup), on_unset_(on_unset) {}

    std::vector<EnvEntry> parse() {
        for (size_t at = statement_start(0); at != std::string_view::npos;
             at = statement_start(at))
            at = parse_statement(at);
        if (!diagnostics_.empty()) throw schema::LoadError(std::move(diagnostics_));
        return std::move(entries_);
    }

private:
    struct Key {
        std::string name;
        size_t next;     ///< just past the `=`, `:` or newline that ended the key
        bool inherited;  ///< a bare KEY: its value comes from the lookup
    };

    // Skips blank lines and comments; npos at the end of the text.
    size_t statement_start(size_t at) const {
        while (at < text_.size()) {
            if (size_t n = space_length(text_, at)) {
                at += n;
            } else if (text_[at] == '#') {
                at = text_.find('\n', at);
            } else {
                return at;
            }
        }
        return std::string_view::npos;
    }

    size_t parse_statement(size_t at) {
        int line = line_at(at);
        auto key = scan_key(at, line);
        if (!key) return next_line(at);
        if (key->name.find(' ') != std::string::npos) {
            error(line, fmt::format("invalid variable name \"{}\": a key cannot contain a space",
                                    key->name));
            return next_line(at);
        }
        if (key->inherited) {
            auto value = lookup_ ? lookup_(key->name) : std::nullopt;
            define(key->name, value, line);
            return key->next;
        }
        size_t value_at = skip_blanks(text_, key->next);
        if (value_at < text_.size() && (text_[value_at] == '"' || text_[value_at] == '\''))
            return parse_quoted(key->name, value_at, line);
        return parse_unquoted(key->name, value_at, line);
    }

    std::optional<Key> scan_key(size_t at, int line) {
        // `export` only counts as a keyword when whitespace follows (`exportFOO=1` is a key).
        if (text_.substr(at, 6) == "export" && at + 6 < text_.size() &&
            std::strchr(" \t\n\f\r", text_[at + 6]) != nullptr)
            at = skip_blanks(text_, at + 6);
        for (size_t i = at; i < text_.size();) {
            if (size_t n = blank_length(text_, i)) {
                i += n;
                continue;
            }
            char c = text_[i];
            if (c == '=' || c == ':' || c == '\n')
                return Key{std::string(trim_right_spaces(text_.substr(at, i - at))), i + 1,
                           c == '\n'};
            if (!is_key_char(c)) {
                error(line, fmt::format("invalid variable name \"{}\": unexpected character {}",
                                        first_line(text_.substr(at)), quote_char(c)));
                return std::nullopt;
            }
            ++i;
        }
        // A bare KEY on the last line. (compose-go would take it as the value of an empty key.)
        return Key{std::string(trim_right_spaces(text_.substr(at))), text_.size(), true};
    }

    size_t parse_quoted(const std::string& name, size_t quote_at, int line) {
        char quote = text_[quote_at];
        std::string value;
        bool escaped = false;
        for (size_t i = quote_at + 1; i < text_.size(); ++i) {
            char c = text_[i];
            if (escaped) {
                // An escaped quote loses its backslash; other escapes wait for expand_escapes.
                if (c != quote) value += '\\';
                value += c;
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == quote) {
                if (quote == '"') expand_into(name, expand_escapes(value), line);
                if (quote == '\'') define(name, value, line);
                return i + 1;
            } else {
                value += c;
            }
        }
        error(line, fmt::format("unterminated quoted value for \"{}\": {}", name,
                                first_line(text_.substr(quote_at))));
        return text_.size();
    }

    size_t parse_unquoted(const std::string& name, size_t value_at, int line) {
        size_t end = std::min(text_.find('\n', value_at), text_.size());
        std::string_view value = text_.substr(value_at, end - value_at);
        // Only " #" starts a comment, so `a#b` and `a\t#b` keep their `#`.
        value = trim_right_spaces(value.substr(0, value.find(" #")));
        expand_into(name, value, line);
        return end;
    }

    // Interpolates `value` (the shell first, then this file's earlier keys) and defines `name`.
    void expand_into(const std::string& name, std::string_view value, int line) {
        Lookup lookup = [this](const std::string& variable) -> std::optional<std::string> {
            if (auto found = lookup_ ? lookup_(variable) : std::nullopt) return found;
            auto it = defined_.find(variable);
            if (it == defined_.end()) return std::nullopt;
            return it->second;
        };
        try {
            define(name, substitute(value, lookup, on_unset_), line);
        } catch (const SubstituteError& e) {
            error(line, e.what());
        }
    }

    void define(const std::string& name, std::optional<std::string> value, int line) {
        if (value) defined_[name] = *value;
        entries_.push_back({name, std::move(value), line});
    }

    void error(int line, std::string message) {
        diagnostics_.push_back({{file_, line, 0}, "", std::move(message)});
    }

    size_t next_line(size_t at) const {
        size_t newline = text_.find('\n', at);
        return newline == std::string_view::npos ? text_.size() : newline + 1;
    }

    // The line of `at`; positions asked for never decrease, so counting is incremental.
    int line_at(size_t at) {
        for (; counted_ < at; ++counted_)
            if (text_[counted_] == '\n') ++line_;
        return line_;
    }

    std::string_view text_;
    const std::string& file_;
    const Lookup& lookup_;
    const UnsetVariableFn& on_unset_;
    std::vector<EnvEntry> entries_;
    Environment defined_;
    std::vector<schema::Diagnostic> diagnostics_;
    size_t counted_ = 0;
    int line_ = 1;
};

// docker/cli's kvfile parser, which `format: raw` borrows from `docker run --env-file`.
std::vector<EnvEntry> parse_raw(std::string_view text, const std::string& file,
                                const Lookup& lookup) {
    std::vector<EnvEntry> entries;
    std::vector<schema::Diagnostic> diagnostics;
    int line = 0;
    for (size_t at = 0; at < text.size();) {
        size_t end = std::min(text.find('\n', at), text.size());
        std::string_view content = first_line(text.substr(at, end - at));
        at = end + 1;
        ++line;
        size_t start = 0;
        while (size_t n = space_length(content, start)) start += n;
        content.remove_prefix(start);
        if (content.empty() || content.front() == '#') continue;
        size_t equals = content.find('=');
        std::string name(content.substr(0, equals));
        if (name.empty() || name.find_first_of(" \t") != std::string::npos) {
            diagnostics.push_back({{file, line, 0}, "",
                                   name.empty() ? "missing variable name"
                                                : fmt::format("invalid variable name \"{}\": it "
                                                              "contains whitespace", name)});
        } else if (equals != std::string_view::npos) {
            entries.push_back({name, std::string(content.substr(equals + 1)), line});
        } else {
            entries.push_back({name, lookup ? lookup(name) : std::nullopt, line});
        }
    }
    if (!diagnostics.empty()) throw schema::LoadError(std::move(diagnostics));
    return entries;
}

}  // namespace

std::vector<EnvEntry> parse_dotenv(std::string_view text, const std::string& file,
                                   const Lookup& lookup, EnvFileFormat format,
                                   const UnsetVariableFn& on_unset) {
    // Some editors (Windows ones especially) start files with a byte order mark.
    if (text.substr(0, kUtf8Bom.size()) == kUtf8Bom) text.remove_prefix(kUtf8Bom.size());
    if (format == EnvFileFormat::raw) return parse_raw(text, file, lookup);
    return DotenvParser(text, file, lookup, on_unset).parse();
}

Environment read_dotenv_file(const std::string& path, const Lookup& lookup, EnvFileFormat format,
                             const UnsetVariableFn& on_unset) {
    std::string content = read_user_file(path, path, "cannot read env file");
    Environment env;
    for (auto& entry : parse_dotenv(content, path, lookup, format, on_unset))
        if (entry.value) env[entry.name] = std::move(*entry.value);
    return env;
}

}  // namespace compose
