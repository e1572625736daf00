// Durations, byte sizes, command lines and scalar rendering (see short_syntax.hpp).
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "compose/short_syntax.hpp"

namespace compose {
namespace {

constexpr int64_t kMicro = 1000;
constexpr int64_t kMilli = 1000 * kMicro;
constexpr int64_t kSecond = 1000 * kMilli;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;

// str2duration accepts Go's units plus days and weeks.
std::optional<int64_t> unit_nanoseconds(std::string_view unit) {
    if (unit == "ns") return 1;
    if (unit == "us" || unit == "µs" || unit == "μs") return kMicro;
    if (unit == "ms") return kMilli;
    if (unit == "s") return kSecond;
    if (unit == "m") return kMinute;
    if (unit == "h") return kHour;
    if (unit == "d") return 24 * kHour;
    if (unit == "w") return 7 * 24 * kHour;
    return std::nullopt;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// "value" scaled by 10^digits, printed with trailing zeros of the fraction dropped, as
// time.Duration.String does ("1.5", "2", "0.25").
std::string decimal(int64_t value, int digits) {
    int64_t scale = 1;
    for (int i = 0; i < digits; ++i) scale *= 10;
    auto text = std::to_string(value / scale);
    auto fraction = fmt::format("{:0{}}", value % scale, digits);
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    return fraction.empty() || digits == 0 ? text : text + "." + fraction;
}

}  // namespace

int64_t parse_duration(std::string_view text) {
    auto bad = [&] { return SyntaxError(fmt::format("invalid duration \"{}\"", text)); };
    std::string_view rest = text;
    bool negative = !rest.empty() && rest.front() == '-';
    if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) rest.remove_prefix(1);
    if (rest == "0") return 0;
    if (rest.empty()) throw bad();
    double total = 0;
    while (!rest.empty()) {
        size_t n = 0;
        while (n < rest.size() && (is_digit(rest[n]) || rest[n] == '.')) ++n;
        if (n == 0) throw bad();
        double number = std::strtod(std::string(rest.substr(0, n)).c_str(), nullptr);
        rest.remove_prefix(n);
        size_t u = 0;
        while (u < rest.size() && !is_digit(rest[u]) && rest[u] != '.') ++u;
        auto unit = unit_nanoseconds(rest.substr(0, u));
        if (!unit) throw bad();
        total += number * static_cast<double>(*unit);
        rest.remove_prefix(u);
    }
    auto ns = static_cast<int64_t>(std::llround(total));
    return negative ? -ns : ns;
}

std::string format_duration(int64_t ns) {
    if (ns == 0) return "0s";
    std::string sign = ns < 0 ? "-" : "";
    uint64_t u = ns < 0 ? static_cast<uint64_t>(-(ns + 1)) + 1 : static_cast<uint64_t>(ns);
    auto v = static_cast<int64_t>(u);
    if (u < static_cast<uint64_t>(kMicro)) return sign + std::to_string(v) + "ns";
    if (u < static_cast<uint64_t>(kMilli)) return sign + decimal(v, 3) + "µs";
    if (u < static_cast<uint64_t>(kSecond)) return sign + decimal(v, 6) + "ms";
    int64_t hours = v / kHour, minutes = (v % kHour) / kMinute;
    auto seconds = decimal(v % kMinute, 9) + "s";
    if (hours > 0) return fmt::format("{}{}h{}m{}", sign, hours, minutes, seconds);
    if (minutes > 0) return fmt::format("{}{}m{}", sign, minutes, seconds);
    return sign + seconds;
}

int64_t parse_bytes(std::string_view text) {
    auto bad = [&] { return SyntaxError(fmt::format("invalid size \"{}\"", text)); };
    size_t n = 0;
    while (n < text.size() && (is_digit(text[n]) || text[n] == '.')) ++n;
    if (n == 0 || !is_digit(text[0])) throw bad();
    double number = std::strtod(std::string(text.substr(0, n)).c_str(), nullptr);
    auto suffix = std::string(text.substr(n));
    if (!suffix.empty() && suffix.front() == ' ') suffix.erase(0, 1);
    for (auto& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // go-units RAMInBytes: an optional binary unit letter, an optional "i", an optional "b".
    double multiplier = 1;
    const std::string units = "kmgtp";
    if (!suffix.empty() && units.find(suffix.front()) != std::string::npos) {
        for (size_t i = 0; i <= units.find(suffix.front()); ++i) multiplier *= 1024;
        suffix.erase(0, 1);
        if (!suffix.empty() && suffix.front() == 'i') suffix.erase(0, 1);
    }
    if (suffix == "b") suffix.clear();
    if (!suffix.empty()) throw bad();
    return static_cast<int64_t>(number * multiplier);
}

std::vector<std::string> shell_split(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false, escaped = false;
    char quote = 0;
    for (char c : text) {
        if (escaped) {
            word += c;
            escaped = false;
        } else if (c == '\\' && quote != '\'') {
            escaped = in_word = true;
        } else if (quote) {
            if (c == quote) quote = 0;
            else word += c;
        } else if (c == '\'' || c == '"') {
            quote = c;
            in_word = true;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (quote || escaped)
        throw SyntaxError(fmt::format("invalid command line string \"{}\"", text));
    if (in_word) words.push_back(std::move(word));
    return words;
}

std::optional<std::string> scalar_string(const Tree& value) {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
    if (value.is_number_integer()) return value.dump();
    if (value.is_number_float()) {
        double d = value.get<double>();
        // Go prints integral floats without a fraction ("2", not "2.0").
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e21)
            return fmt::format("{:.0f}", d);
        return value.dump();
    }
    return std::nullopt;
}

}  // namespace compose
