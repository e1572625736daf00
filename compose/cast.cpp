#include "compose/cast.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>

#include <fmt/format.h>

#include "compose/log.hpp"

namespace compose {
namespace {

std::optional<Tree> to_int(const std::string& text) {
    // Go's strconv.Atoi, which compose-go uses, takes an optional sign; from_chars takes only "-".
    std::string_view digits = text;
    if (digits.size() > 1 && digits.front() == '+') digits.remove_prefix(1);
    std::int64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) return {};
    return Tree(value);
}

std::optional<Tree> to_file_mode(const std::string& text) {
    std::uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 8);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return {};
    return Tree(value);
}

std::optional<Tree> to_float(const std::string& text) {
    double value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return {};
    // from_chars also reads "inf" and "nan", which are no CPU count or ratio.
    if (!std::isfinite(value)) return {};
    return Tree(value);
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool is_yaml11_bool(const std::string& text) {
    auto l = lower(text);
    for (const char* word : {"y", "yes", "on", "n", "no", "off"})
        if (l == word) return true;
    return false;
}

std::optional<Tree> to_bool(const std::string& text) {
    auto l = lower(text);
    if (l == "true" || l == "y" || l == "yes" || l == "on") return Tree(true);
    if (l == "false" || l == "n" || l == "no" || l == "off") return Tree(false);
    return {};
}

void cast_node(Tree& node, std::vector<std::string>& at, const std::string& path,
               const Document& doc) {
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            at.push_back(it.key());
            cast_node(it.value(), at, child_path(path, it.key()), doc);
            at.pop_back();
        }
        return;
    }
    if (node.is_array()) {
        at.push_back("[]");
        for (size_t i = 0; i < node.size(); ++i)
            cast_node(node[i], at, item_path(path, i), doc);
        at.pop_back();
        return;
    }
    if (!node.is_string()) return;
    const auto* spec = schema::find(at);
    if (!spec || spec->cast == schema::Cast::none) return;
    const auto& text = node.get_ref<const std::string&>();
    auto value = cast_value(text, spec->cast);
    if (!value) return;
    if (spec->cast == schema::Cast::to_bool && is_yaml11_bool(text)) {
        log().warn("{}", doc.diagnostic(path, fmt::format("\"{}\" for a boolean is not YAML 1.2, "
                                                          "use {}",
                                                          text, value->dump()))
                             .to_string());
    }
    node = std::move(*value);
}

}  // namespace

std::optional<Tree> cast_value(const std::string& text, schema::Cast cast) {
    switch (cast) {
    case schema::Cast::to_int:
        return to_int(text);
    case schema::Cast::to_float:
        return to_float(text);
    case schema::Cast::to_file_mode:
        return to_file_mode(text);
    case schema::Cast::to_bool:
        return to_bool(text);
    case schema::Cast::none:
        break;
    }
    return {};
}

void cast_types(Document& doc) {
    std::vector<std::string> at;
    cast_node(doc.tree, at, "", doc);
}

}  // namespace compose
