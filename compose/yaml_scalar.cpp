// YAML 1.2 core-schema resolution of plain scalars, with go-yaml's reading of leading-zero
// octals (compose-go parses compose files with go-yaml). Hand-written: yaml-cpp leaves
// plain scalars untyped.
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <string_view>

#include "compose/yaml_parse.hpp"

namespace compose {
namespace {

bool all_of(std::string_view s, bool (*pred)(char)) {
    if (s.empty()) return false;
    for (char c : s)
        if (!pred(c)) return false;
    return true;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string_view without_sign(std::string_view s) {
    if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
    return s;
}

// [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  (YAML 1.2 core schema float)
bool is_float(std::string_view s) {
    s = without_sign(s);
    auto exponent = s.find_first_of("eE");
    std::string_view mantissa = s.substr(0, exponent);
    if (exponent != std::string_view::npos &&
        !all_of(without_sign(s.substr(exponent + 1)), is_digit))
        return false;
    auto dot = mantissa.find('.');
    if (dot == std::string_view::npos) return all_of(mantissa, is_digit);
    std::string_view whole = mantissa.substr(0, dot), fraction = mantissa.substr(dot + 1);
    if (whole.empty()) return all_of(fraction, is_digit);
    return all_of(whole, is_digit) && (fraction.empty() || all_of(fraction, is_digit));
}

// A float, or the text itself when it is out of double's range (JSON holds no infinities).
Tree real(const std::string& s) {
    errno = 0;
    double v = std::strtod(s.c_str(), nullptr);
    if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL)) return s;
    return v;
}

Tree integer(const std::string& s, std::string_view digits, int base, bool negative) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (ec != std::errc() || end != digits.data() + digits.size()) return real(s);
    return negative ? -v : v;
}

}  // namespace

Tree plain_scalar(const std::string& s) {
    if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    std::string_view digits = without_sign(s);
    // A leading zero means octal, as go-yaml (compose-go's parser) reads it: file modes 0440.
    if (digits.size() > 1 && digits[0] == '0' && all_of(digits, is_octal))
        return integer(s, digits.substr(1), 8, s[0] == '-');
    if (all_of(digits, is_digit)) return integer(s, digits, 10, s[0] == '-');
    if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && all_of(s.substr(2), is_octal))
        return integer(s, std::string_view(s).substr(2), 8, false);
    if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && all_of(s.substr(2), is_hex))
        return integer(s, std::string_view(s).substr(2), 16, false);
    if (is_float(s)) return real(s);
    return s;  // .inf and .nan stay text: JSON cannot hold them and no compose key takes one
}

}  // namespace compose
