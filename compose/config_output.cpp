// Writes the model as YAML and JSON. Hand-written rather than through yaml-cpp's Emitter:
// the layout is fixed (block style, sorted keys, docker compose's top-level order) and the
// emitter's per-string regular expressions made printing a 1000-service model cost more
// than loading it.
#include "compose/config_output.hpp"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "compose/yaml_parse.hpp"

namespace compose {
namespace {

const std::vector<std::string> kTopLevelOrder = {"name", "services", "networks", "volumes",
                                                 "secrets", "configs", "models"};

// Top-level keys in docker compose's order, then the rest sorted; nested keys sorted (Tree
// is a sorted map, so iteration order already is).
std::vector<std::string> top_level_keys(const Tree& model) {
    std::vector<std::string> keys;
    for (const auto& key : kTopLevelOrder)
        if (model.contains(key)) keys.push_back(key);
    for (auto it = model.begin(); it != model.end(); ++it)
        if (std::find(kTopLevelOrder.begin(), kTopLevelOrder.end(), it.key()) == kTopLevelOrder.end())
            keys.push_back(it.key());
    return keys;
}

// A string must be quoted when a YAML 1.2 reader would take it for another type, when YAML
// syntax would change its meaning, or when a YAML 1.1 reader (PyYAML, docker-compose v1)
// would take it for a boolean.
bool needs_quotes(const std::string& s) {
    if (s.empty() || !plain_scalar(s).is_string()) return true;
    static const std::array<const char*, 16> kYaml11 = {"y", "Y", "yes", "Yes", "YES", "n", "N",
                                                        "no", "No", "NO", "on", "On", "ON",
                                                        "off", "Off", "OFF"};
    for (const char* word : kYaml11)
        if (s == word) return true;
    // "-", "?" and ":" start a plain scalar only when a non-space follows (YAML 1.2 7.3.3).
    if (std::string_view("-?:").find(s.front()) != std::string_view::npos)
        if (s.size() == 1 || s[1] == ' ') return true;
    if (std::string_view(",[]{}#&*!|>'\"%@`").find(s.front()) != std::string_view::npos)
        return true;
    if (s.front() == ' ' || s.back() == ' ') return true;
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) return true;
        if (s[i] == ':' && (i + 1 == s.size() || s[i + 1] == ' ')) return true;
        if (s[i] == '#' && i > 0 && s[i - 1] == ' ') return true;
    }
    return false;
}

void append_json_string(std::string& out, const std::string& s) {
    out += '"';
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        switch (ch) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                if (c < 0x20) out += fmt::format("\\u{:04x}", c);
                else out += ch;
        }
    }
    out += '"';
}

class YamlWriter {
public:
    std::string out;

    void document(const Tree& model) {
        if (!model.is_object()) return value(model, 0);
        for (const auto& key : top_level_keys(model)) entry(key, model.at(key), 0);
    }

private:
    int depth_ = 0;  // of the entry being written, for literal blocks

    void indent(int depth) { out.append(static_cast<size_t>(depth) * 2, ' '); }

    void scalar(const Tree& v) {
        if (!v.is_string()) {
            out += v.is_null() ? std::string("null") : v.dump();
            return;
        }
        // "$" is printed as "$$" so the output interpolates back to the same value.
        std::string s;
        for (char c : v.get_ref<const std::string&>()) {
            if (c == '$') s += '$';
            s += c;
        }
        if (literal_block(s)) return;
        if (needs_quotes(s)) append_json_string(out, s);  // a JSON string is a YAML string
        else out += s;
    }

    // Multi-line text as a "|" block, as docker compose prints config content and scripts.
    bool literal_block(const std::string& s) {
        if (s.find('\n') == std::string::npos || s.front() == ' ' || s.front() == '\n')
            return false;
        for (char c : s)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) return false;
        size_t trailing = s.size() - 1 - s.find_last_not_of('\n');
        out += trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
        int depth = depth_ + 1;
        size_t start = 0;
        while (start < s.size()) {
            size_t end = s.find('\n', start);
            if (end == std::string::npos) end = s.size();
            out += '\n';
            if (end > start) out.append(static_cast<size_t>(depth) * 2, ' ');
            out.append(s, start, end - start);
            start = end + 1;
        }
        return true;
    }

    bool inline_value(const Tree& v) { return !v.is_structured() || v.empty(); }

    void entry(const std::string& key, const Tree& v, int depth) {
        depth_ = depth;
        indent(depth);
        if (needs_quotes(key)) append_json_string(out, key);
        else out += key;
        out += ':';
        if (inline_value(v)) {
            out += ' ';
            value(v, depth);
            out += '\n';
        } else {
            out += '\n';
            value(v, depth + 1);
        }
    }

    void value(const Tree& v, int depth) {
        if (v.is_object() && !v.empty()) {
            for (auto it = v.begin(); it != v.end(); ++it) entry(it.key(), it.value(), depth);
        } else if (v.is_array() && !v.empty()) {
            for (const auto& item : v) sequence_item(item, depth);
        } else if (v.is_structured()) {
            out += v.is_object() ? "{}" : "[]";
        } else {
            scalar(v);
        }
    }

    // "- " then the item; a mapping's first key shares the dash's line, as docker compose prints.
    void sequence_item(const Tree& item, int depth) {
        depth_ = depth;
        indent(depth);
        out += "- ";
        if (inline_value(item)) {
            value(item, depth);
            out += '\n';
            return;
        }
        if (item.is_array()) {
            out += '\n';
            value(item, depth + 1);
            return;
        }
        bool first = true;
        for (auto it = item.begin(); it != item.end(); ++it) {
            size_t mark = out.size();
            entry(it.key(), it.value(), depth + 1);
            if (first) out.erase(mark, static_cast<size_t>(depth + 1) * 2);
            first = false;
        }
    }
};

void write_json(std::string& out, const Tree& v, int depth) {
    auto newline = [&](int d) {
        out += '\n';
        out.append(static_cast<size_t>(d) * 4, ' ');
    };
    if (v.is_object() && !v.empty()) {
        out += '{';
        bool first = true;
        auto keys = depth == 0 ? top_level_keys(v) : std::vector<std::string>{};
        if (depth != 0)
            for (auto it = v.begin(); it != v.end(); ++it) keys.push_back(it.key());
        for (const auto& key : keys) {
            if (!first) out += ',';
            first = false;
            newline(depth + 1);
            append_json_string(out, key);
            out += ": ";
            write_json(out, v.at(key), depth + 1);
        }
        newline(depth);
        out += '}';
    } else if (v.is_array() && !v.empty()) {
        out += '[';
        for (size_t i = 0; i < v.size(); ++i) {
            if (i) out += ',';
            newline(depth + 1);
            write_json(out, v[i], depth + 1);
        }
        newline(depth);
        out += ']';
    } else if (v.is_string()) {
        append_json_string(out, v.get_ref<const std::string&>());
    } else {
        out += v.dump();
    }
}

}  // namespace

std::string to_yaml(const Tree& model) {
    YamlWriter writer;
    writer.out.reserve(1 << 16);
    writer.document(model);
    return std::move(writer.out);
}

std::string to_json(const Tree& model) {
    std::string out;
    out.reserve(1 << 16);
    write_json(out, model, 0);
    return out + "\n";
}

}  // namespace compose
