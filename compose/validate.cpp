#include "compose/validate.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "compose/cast.hpp"
#include "compose/log.hpp"
#include "schema/keys.hpp"

namespace compose {
namespace {

using schema::KeySpec;

std::string kind_of(const Tree& node) {
    switch (node.type()) {
    case Tree::value_t::null:
        return "null";
    case Tree::value_t::boolean:
        return "a boolean";
    case Tree::value_t::number_integer:
    case Tree::value_t::number_unsigned:
        return "an integer";
    case Tree::value_t::number_float:
        return "a number";
    case Tree::value_t::string:
        return "a string";
    case Tree::value_t::object:
        return "a mapping";
    case Tree::value_t::array:
        return "a list";
    default:
        return "a binary value";
    }
}

bool is_integral(const Tree& node) {
    if (node.is_number_integer()) return true;
    // JSON Schema counts 3.0 as an integer; so does upstream's validator.
    return node.is_number_float() && std::trunc(node.get<double>()) == node.get<double>();
}

bool type_allowed(const Tree& node, unsigned types) {
    using namespace schema;
    if (node.is_null()) return types & kNull;
    if (node.is_boolean()) return types & kBoolean;
    if (node.is_number()) return (types & kNumber) || ((types & kInteger) && is_integral(node));
    if (node.is_string()) return types & kString;
    if (node.is_object()) return types & kMapping;
    if (node.is_array()) return types & kSequence;
    return false;
}

// "a string, a list or null" from a type bit set, in a fixed order.
std::string expected_kinds(unsigned types) {
    using namespace schema;
    std::vector<std::string> names;
    if (types & kBoolean) names.push_back("a boolean");
    if (types & kNumber)
        names.push_back("a number");
    else if (types & kInteger)
        names.push_back("an integer");
    if (types & kString) names.push_back("a string");
    if (types & kMapping) names.push_back("a mapping");
    if (types & kSequence) names.push_back("a list");
    if (types & kNull) names.push_back("null");
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
        out += names[i];
    }
    return out;
}

// "\"a\", \"b\" or \"c\""
template <typename Strings> std::string quoted_list(const Strings& words, const char* last) {
    std::string out;
    size_t i = 0;
    for (const auto& w : words) {
        if (i > 0) out += i + 1 == words.size() ? last : ", ";
        out += fmt::format("\"{}\"", w);
        ++i;
    }
    return out;
}

const char* cast_kind(schema::Cast cast) {
    switch (cast) {
    case schema::Cast::to_int:
        return "an integer";
    case schema::Cast::to_float:
        return "a number";
    case schema::Cast::to_bool:
        return "a boolean";
    case schema::Cast::to_file_mode:
        return "a file mode in octal digits";
    case schema::Cast::none:
        break;
    }
    return "";
}

// `service "web" ` for a top-level resource entry, so its type error reads like compose-go's
// "services.web must be a mapping"; "" elsewhere.
std::string resource_subject(const KeySpec& spec, const std::string& path) {
    static const std::set<std::string_view> kinds = {"services.*", "networks.*", "volumes.*",
                                                     "secrets.*",  "configs.*",  "models.*"};
    if (!kinds.count(spec.pattern)) return "";
    auto kind = spec.pattern.substr(0, spec.pattern.size() - 2);
    return fmt::format("{} \"{}\" ", kind.substr(0, kind.size() - 1), path.substr(kind.size() + 1));
}

// "secret \"token\" must declare either `file` or `environment` (or be external)": compose-go's
// words, which scripts grep for, plus the way out they leave unsaid.
std::string one_of_message(const std::string& path, const KeySpec& spec) {
    auto dot = path.find('.');
    if (dot == std::string::npos || dot < 2)
        return fmt::format("needs one of {}", quoted_list(spec.one_of, " or "));
    std::vector<std::string> keys;
    bool external = false;
    for (auto key : spec.one_of) {
        if (key == "external") external = true;
        else keys.push_back(fmt::format("`{}`", key));
    }
    std::string list;
    for (size_t i = 0; i < keys.size(); ++i)
        list += (i == 0 ? "" : i + 1 == keys.size() ? " or " : ", ") + keys[i];
    // The resource kind is the top-level key less its plural "s": "secrets" -> "secret".
    return fmt::format("{} \"{}\" must declare either {}{}", path.substr(0, dot - 1),
                       path.substr(dot + 1), list, external ? " (or be external)" : "");
}

// The model's top level: a mapping whose "x-*" keys are extensions.
const KeySpec kRoot{.pattern = "", .types = schema::kMapping};

class Validator {
public:
    explicit Validator(const Document& doc) : doc_(doc) {}

    void run() {
        auto at = schema::Cursor::root();
        if (!doc_.tree.is_object()) {
            report("",
                   fmt::format("the compose file must be a mapping, got {}", kind_of(doc_.tree)));
        } else {
            if (doc_.tree.contains("version"))
                warn("version", "the attribute `version` is "
                                "obsolete, it will be ignored");
            value(doc_.tree, at, "", kRoot, false);
        }
        if (!diagnostics_.empty()) throw schema::LoadError(std::move(diagnostics_));
    }

private:
    void report(const std::string& path, std::string message) {
        diagnostics_.push_back(doc_.diagnostic(path, std::move(message)));
    }

    void warn(const std::string& path, std::string_view message) {
        log().warn("{}", doc_.diagnostic(path, std::string(message)).to_string());
    }

    // The name patterns the table uses most are checked without std::regex, which costs
    // microseconds a call: one call per environment key and service adds up.
    bool search(std::string_view pattern, const std::string& text) {
        if (pattern == "^.+$") return !text.empty();
        if (pattern == "^[a-zA-Z0-9._-]+$")
            return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
                       c == '-';
            });
        return std::regex_search(text, regex(pattern));
    }

    const std::regex& regex(std::string_view pattern) {
        auto it = regexes_.find(pattern);
        if (it == regexes_.end())
            it = regexes_.emplace(pattern, std::regex(std::string(pattern))).first;
        return it->second;
    }

    void value(const Tree& node, const schema::Cursor& at, const std::string& path, const KeySpec& spec,
               bool inside_accepted);
    void scalar(const Tree& node, const std::string& path, const KeySpec& spec);
    void mapping(const Tree& node, const schema::Cursor& at, const std::string& path, const KeySpec& spec,
                 bool inside_accepted);
    void key_rules(const Tree& node, const std::string& path, const KeySpec& spec);
    void sequence(const Tree& node, const schema::Cursor& at, const std::string& path, const KeySpec& spec,
                  bool inside_accepted);

    const Document& doc_;
    std::vector<schema::Diagnostic> diagnostics_;
    std::set<std::string_view> warned_;  // patterns of accepted keys already reported
    std::map<std::string_view, std::regex> regexes_;
};

void Validator::value(const Tree& node, const schema::Cursor& at, const std::string& path, const KeySpec& spec,
                      bool inside_accepted) {
    if (!type_allowed(node, spec.types)) {
        report(path, fmt::format("{}must be {}, got {}", resource_subject(spec, path),
                                 expected_kinds(spec.types), kind_of(node)));
        return;
    }
    // Keys under an accepted key are covered by its note; one warning per key, not per service.
    if (spec.support == schema::Support::accepted && !inside_accepted) {
        if (warned_.insert(spec.pattern).second) warn(path, spec.note);
        inside_accepted = true;
    }
    if (node.is_object())
        mapping(node, at, path, spec, inside_accepted);
    else if (node.is_array())
        sequence(node, at, path, spec, inside_accepted);
    else
        scalar(node, path, spec);
}

void Validator::scalar(const Tree& node, const std::string& path, const KeySpec& spec) {
    if (node.is_number()) {
        double v = node.get<double>();
        if ((spec.minimum && v < *spec.minimum) || (spec.maximum && v > *spec.maximum)) {
            report(path,
                   spec.maximum
                       ? fmt::format("must be between {} and {}, got {}", spec.minimum.value_or(0),
                                     *spec.maximum, node.dump())
                       : fmt::format("must be at least {}, got {}", *spec.minimum, node.dump()));
        }
        return;
    }
    if (!node.is_string()) return;
    const auto& text = node.get_ref<const std::string&>();
    // Cast ran before merging; what is still a string did not convert. A "$" means the file was
    // not interpolated (config --no-interpolate), which upstream accepts as it is.
    if (spec.cast != schema::Cast::none && text.find('$') == std::string::npos &&
        !cast_value(text, spec.cast)) {
        report(path, fmt::format("must be {}, got \"{}\"", cast_kind(spec.cast), text));
        return;
    }
    if (!spec.values.empty() &&
        std::find(spec.values.begin(), spec.values.end(), text) == spec.values.end()) {
        report(path,
               fmt::format("must be one of {}, got \"{}\"", quoted_list(spec.values, ", "), text));
        return;
    }
    // Upstream's patterns are unanchored (JSON Schema "pattern" searches), so this searches too.
    if (!spec.value_pattern.empty() && !search(spec.value_pattern, text))
        report(path, fmt::format("must match \"{}\", got \"{}\"", spec.value_pattern, text));
}

void Validator::key_rules(const Tree& node, const std::string& path, const KeySpec& spec) {
    for (auto key : spec.required)
        if (!node.contains(std::string(key)))
            report(path, fmt::format("missing required key \"{}\"", key));
    if (spec.one_of.empty()) return;
    for (auto key : spec.one_of)
        if (node.contains(std::string(key))) return;
    report(path, one_of_message(path, spec));
}

void Validator::mapping(const Tree& node, const schema::Cursor& at, const std::string& path,
                        const KeySpec& spec, bool inside_accepted) {
    key_rules(node, path, spec);
    const auto& fixed = at.keys();
    for (auto it = node.begin(); it != node.end(); ++it) {
        const auto& key = it.key();
        auto child = child_path(path, key);
        bool is_fixed = std::find(fixed.begin(), fixed.end(), key) != fixed.end();
        // Extensions are free-form: nothing under them is checked.
        if (!is_fixed && !fixed.empty() && spec.extensions && key.rfind("x-", 0) == 0) continue;
        auto next = at.child(key);
        const auto* child_spec = next.spec();
        if (!child_spec) {
            auto guess = schema::did_you_mean(key, fixed);
            diagnostics_.push_back(
                {doc_.locations.find_key(child), path,
                 guess.empty()
                     ? fmt::format("unknown key \"{}\"", key)
                     : fmt::format("unknown key \"{}\" (did you mean \"{}\"?)", key, guess)});
        } else if (!is_fixed && !spec.name_pattern.empty() &&
                   !search(spec.name_pattern, key)) {
            diagnostics_.push_back(
                {doc_.locations.find_key(child), child,
                 fmt::format("invalid name \"{}\", must match \"{}\"", key, spec.name_pattern)});
        } else {
            value(it.value(), next, child, *child_spec, inside_accepted);
        }
    }
}

void Validator::sequence(const Tree& node, const schema::Cursor& at, const std::string& path,
                         const KeySpec& spec, bool inside_accepted) {
    if (spec.unique_items) {
        for (size_t i = 1; i < node.size(); ++i) {
            auto first = std::find(node.begin(), node.begin() + i, node[i]);
            if (first != node.begin() + i)
                report(item_path(path, i),
                       fmt::format("duplicate of item [{}]", first - node.begin()));
        }
    }
    auto items = at.item();
    if (const auto* item = items.spec()) {
        for (size_t i = 0; i < node.size(); ++i)
            value(node[i], items, item_path(path, i), *item, inside_accepted);
    }
}

}  // namespace

void validate(const Document& merged) {
    Validator(merged).run();
}

}  // namespace compose
