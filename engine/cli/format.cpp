// Written by hand: Debian ships no C++ library for Go's text/template, and docker's --format
// needs only this small subset of it.
#include "engine/cli/format.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace engine::cli {
namespace {

using nlohmann::json;
using Node = GoTemplate::Node;

const std::set<std::string> kFunctions = {"json", "upper", "lower", "join"};

Error template_error(std::string_view what) { return Error{EINVAL, fmt::format("template: :1: {}", what)}; }

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size())
        s.replace(pos, from.size(), to);
    return s;
}

std::string trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return std::string(s);
}

Result<std::vector<std::string>> tokens(std::string_view action) {
    std::vector<std::string> out;
    for (size_t i = 0; i < action.size();) {
        if (std::isspace(static_cast<unsigned char>(action[i]))) { ++i; continue; }
        size_t end = i;
        if (action[i] == '"') {
            end = action.find('"', i + 1);
            if (end == std::string_view::npos) return template_error("unterminated quoted string");
            ++end;
        } else {
            while (end < action.size() && !std::isspace(static_cast<unsigned char>(action[end]))) ++end;
        }
        out.emplace_back(action.substr(i, end - i));
        i = end;
    }
    return out;
}

Result<Node> parse_action(std::string_view action) {
    auto toks = tokens(action);
    if (!toks) return toks.error();
    auto& t = toks.value();
    if (t.empty()) return template_error("missing value for command");
    Node node{Node::Kind::kAction, "", "", {}};
    if (t[0][0] != '.') {
        if (!kFunctions.count(t[0])) return template_error(fmt::format("function \"{}\" not defined", t[0]));
        node.function = t[0];
        t.erase(t.begin());
    }
    size_t wanted = node.function == "join" ? 2 : 1;
    if (t.size() != wanted)
        return template_error(fmt::format("wrong number of args for {}: want {} got {}",
                                          node.function.empty() ? "field" : node.function, wanted, t.size()));
    for (const auto& arg : t)
        if (arg[0] != '.' && arg[0] != '"') return template_error(fmt::format("unexpected \"{}\" in command", arg));
    node.args = t;
    return node;
}

// `.A.B` on maps; a missing key gives nullptr (rendered "<no value>", as Go does).
const json* lookup(const json& dot, const std::string& path) {
    const json* cur = &dot;
    size_t start = 1;
    while (start < path.size()) {
        size_t next = path.find('.', start);
        std::string key = path.substr(start, next == std::string::npos ? next : next - start);
        if (!cur->is_object() || !cur->contains(key)) return nullptr;
        cur = &(*cur)[key];
        if (next == std::string::npos) break;
        start = next + 1;
    }
    return cur;
}

// Go's %v of a decoded JSON value: strings bare, []T as [a b], map[k:v].
std::string go_value(const json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_null()) return "<no value>";
    std::string out;
    if (v.is_array()) {
        for (const auto& item : v) out += (out.empty() ? "" : " ") + go_value(item);
        return "[" + out + "]";
    }
    if (v.is_object()) {
        for (const auto& [k, item] : v.items()) out += (out.empty() ? "" : " ") + k + ":" + go_value(item);
        return "map[" + out + "]";
    }
    return v.dump();
}

std::string render_node(const Node& node, const json& dot) {
    auto arg = [&](size_t i) -> json {
        const std::string& a = node.args[i];
        if (a[0] == '"') return a.substr(1, a.size() - 2);
        const json* v = lookup(dot, a);
        return v ? *v : json();
    };
    json value = arg(0);
    if (node.function == "json") return go_json(value);
    std::string text = go_value(value);
    if (node.function == "upper") std::transform(text.begin(), text.end(), text.begin(), ::toupper);
    if (node.function == "lower") std::transform(text.begin(), text.end(), text.begin(), ::tolower);
    if (node.function == "join") {
        std::string sep = go_value(arg(1));
        text.clear();
        if (value.is_array())
            for (const auto& item : value) text += (text.empty() ? "" : sep) + go_value(item);
    }
    return text;
}

size_t display_width(const std::string& s) {
    size_t n = 0;  // code points, not bytes ("…" is one column)
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
}

std::vector<std::string> split_tabs(const std::string& line) {
    std::vector<std::string> cells;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
        cells.push_back(line.substr(start, tab - start));
    cells.push_back(line.substr(start));
    return cells;
}

}  // namespace

Result<GoTemplate> GoTemplate::parse(std::string_view text) {
    GoTemplate tmpl;
    bool trim_next = false;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t open = text.find("{{", pos);
        std::string literal(text.substr(pos, open == std::string_view::npos ? open : open - pos));
        if (trim_next) literal = literal.substr(std::min(literal.size(), literal.find_first_not_of(" \t\r\n")));
        if (open == std::string_view::npos) {
            if (!literal.empty()) tmpl.nodes_.push_back({Node::Kind::kText, literal, "", {}});
            break;
        }
        size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) return template_error("unclosed action");
        std::string_view action = text.substr(open + 2, close - open - 2);
        if (!action.empty() && action.front() == '-') {  // "{{-" trims the space before it
            literal.erase(literal.find_last_not_of(" \t\r\n") + 1);
            action.remove_prefix(1);
        }
        trim_next = !action.empty() && action.back() == '-';
        if (trim_next) action.remove_suffix(1);
        if (!literal.empty()) tmpl.nodes_.push_back({Node::Kind::kText, literal, "", {}});
        auto node = parse_action(action);
        if (!node) return node.error();
        tmpl.nodes_.push_back(std::move(node.value()));
        pos = close + 2;
    }
    return tmpl;
}

std::string GoTemplate::render(const json& dot) const {
    std::string out;
    for (const auto& node : nodes_) out += node.kind == Node::Kind::kText ? node.text : render_node(node, dot);
    return out;
}

std::string GoTemplate::render_header(const std::map<std::string, std::string>& headers) const {
    std::string out;
    for (const auto& node : nodes_) {
        if (node.kind == Node::Kind::kText) { out += node.text; continue; }
        std::string field = node.args[0] == "." ? "" : node.args[0].substr(1);
        auto it = headers.find(field);
        std::string header = it != headers.end() ? it->second : field;
        std::transform(header.begin(), header.end(), header.begin(), ::toupper);
        out += header;
    }
    return out;
}

std::string human_size(double bytes) {
    static const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    size_t unit = 0;
    while (bytes >= 1000 && unit + 1 < std::size(kUnits)) {
        bytes /= 1000;
        ++unit;
    }
    return fmt::format("{:.3g}{}", bytes, kUnits[unit]);
}

std::string go_json(const json& value) {
    std::string s = value.dump(-1, ' ', false, json::error_handler_t::replace);
    s = replace_all(std::move(s), "&", "\\u0026");
    s = replace_all(std::move(s), "<", "\\u003c");
    return replace_all(std::move(s), ">", "\\u003e");
}

std::string align_table(const std::vector<std::string>& lines) {
    constexpr size_t kMinWidth = 10, kPadding = 3;
    std::vector<std::vector<std::string>> cells;
    std::vector<size_t> widths;
    for (const auto& line : lines) {
        cells.push_back(split_tabs(line));
        for (size_t i = 0; i + 1 < cells.back().size(); ++i) {  // the last cell is never padded
            if (widths.size() <= i) widths.push_back(kMinWidth);
            widths[i] = std::max(widths[i], display_width(cells.back()[i]) + kPadding);
        }
    }
    std::string out;
    for (const auto& row : cells) {
        for (size_t i = 0; i < row.size(); ++i) {
            out += row[i];
            if (i + 1 < row.size()) out += std::string(widths[i] - display_width(row[i]), ' ');
        }
        out += '\n';
    }
    return out;
}

Status print_documents(std::ostream& out, const nlohmann::ordered_json& docs, const std::string& format) {
    if (format.empty()) {
        out << docs.dump(4) << '\n';
        return sys::ok();
    }
    auto tmpl = GoTemplate::parse(format);
    if (!tmpl) return tmpl.error();
    for (const auto& doc : docs) out << tmpl.value().render(json::parse(doc.dump())) << '\n';
    return sys::ok();
}

Status print_rows(std::ostream& out, const std::string& format, const std::string& default_table,
                  const std::vector<json>& rows, const std::map<std::string, std::string>& headers) {
    std::string f = trim(format);
    if (f.empty() || f == "table") f = default_table;
    if (f == "json") f = "{{json .}}";
    bool table = f.rfind("table", 0) == 0;
    if (table) f = trim(f.substr(5));
    f = replace_all(replace_all(f, "\\t", "\t"), "\\n", "\n");
    auto tmpl = GoTemplate::parse(f);
    if (!tmpl) return tmpl.error();
    if (!table) {
        for (const auto& row : rows) out << tmpl.value().render(row) << '\n';
        return sys::ok();
    }
    std::vector<std::string> lines = {tmpl.value().render_header(headers)};
    for (const auto& row : rows) lines.push_back(tmpl.value().render(row));
    out << align_table(lines);
    return sys::ok();
}

}  // namespace engine::cli
