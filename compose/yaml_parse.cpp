#include "compose/yaml_parse.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace compose {
namespace {

using schema::Location;

constexpr const char* kResetTag = "!reset";
constexpr const char* kOverrideTag = "!override";

/// Index of the first byte that is not part of valid UTF-8, or npos.
size_t invalid_utf8_at(std::string_view s) {
    size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > s.size()) return i;
        for (size_t k = 1; k < len; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return i;
        if (c == 0) return i;  // NUL is valid UTF-8 but never valid in a compose file
        i += len;
    }
    return std::string_view::npos;
}

Location location_of_offset(const std::string& file, std::string_view text, size_t offset) {
    int line = 1, column = 1;
    for (size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return {file, line, column};
}

// Counts the values a document expands to with every alias replaced by its anchor's content,
// in one linear pass over parser events, so an alias bomb is refused before it is expanded.
class AliasBudget : public YAML::EventHandler {
public:
    AliasBudget(const std::string& file, size_t limit) : file_(file), limit_(limit) {}

    void OnDocumentStart(const YAML::Mark&) override { stack_ = {0}; }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
    void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  const std::string&) override {
        leaf(mark, anchor);
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        auto it = sizes_.find(anchor);
        add(mark, it == sizes_.end() ? 1 : it->second);
    }
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(anchor);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(anchor);
    }
    void OnMapEnd() override { close(); }

private:
    void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
        if (anchor) sizes_[anchor] = 1;
        add(mark, 1);
    }
    void open(YAML::anchor_t anchor) {
        anchors_.push_back(anchor);
        stack_.push_back(1);
    }
    void close() {
        size_t size = stack_.back();
        stack_.pop_back();
        if (anchors_.back()) sizes_[anchors_.back()] = size;
        anchors_.pop_back();
        stack_.back() += size;
    }
    void add(const YAML::Mark& mark, size_t n) {
        stack_.back() += n;
        size_t total = 0;
        for (auto s : stack_) total += s;
        if (total > limit_)
            throw schema::LoadError({file_, mark.line + 1, mark.column + 1}, "",
                                    fmt::format("excessive aliasing: the document expands to "
                                                "more than {} values", limit_));
    }

    const std::string& file_;
    size_t limit_;
    std::vector<size_t> stack_{0};
    std::vector<YAML::anchor_t> anchors_;
    std::map<YAML::anchor_t, size_t> sizes_;
};

class Converter {
public:
    Converter(Document& doc, const ParseLimits& limits) : doc_(doc), limits_(limits) {}

    Tree convert(const YAML::Node& node, const std::string& path, size_t depth) {
        if (++nodes_ > limits_.max_nodes)
            fail(node, path, fmt::format("document expands to more than {} values "
                                         "(an alias bomb?)", limits_.max_nodes));
        if (depth > limits_.max_depth)
            fail(node, path, fmt::format("nesting deeper than {} levels", limits_.max_depth));
        record_tag(node, path);
        switch (node.Type()) {
            case YAML::NodeType::Sequence: return sequence(node, path, depth);
            case YAML::NodeType::Map: return mapping(node, path, depth);
            case YAML::NodeType::Scalar: return scalar(node);
            default: return nullptr;
        }
    }

    [[noreturn]] void fail(const YAML::Node& node, const std::string& path, std::string message) {
        throw schema::LoadError(location(node), path, std::move(message));
    }

    Location location(const YAML::Node& node) const {
        auto mark = node.Mark();
        if (mark.is_null()) return {doc_.file, 0, 0};
        return {doc_.file, mark.line + 1, mark.column + 1};
    }

private:
    void record_tag(const YAML::Node& node, const std::string& path) {
        const auto& tag = node.Tag();
        if (tag == kResetTag) doc_.tags[path] = MergeTag::reset;
        if (tag == kOverrideTag) doc_.tags[path] = MergeTag::override_;
    }

    Tree sequence(const YAML::Node& node, const std::string& path, size_t depth) {
        Tree out = Tree::array();
        size_t i = 0;
        for (const auto& item : node) {
            auto p = item_path(path, i++);
            doc_.locations.set(p, location(item));
            out.push_back(convert(item, p, depth + 1));
        }
        return out;
    }

    Tree mapping(const YAML::Node& node, const std::string& path, size_t depth) {
        Tree out = Tree::object();
        std::vector<YAML::Node> merges;
        for (const auto& kv : node) {
            const std::string key = key_of(kv.first, path);
            if (key == "<<" && kv.first.Tag() == "?") {
                merges.push_back(kv.second);
                continue;
            }
            auto p = child_path(path, key);
            if (out.contains(key)) {
                auto first = doc_.locations.find(p);
                fail(kv.first, p, fmt::format("mapping key \"{}\" already defined at line {}", key,
                                              first.line));
            }
            if (kv.second.IsScalar()) {
                doc_.locations.set(p, location(kv.second));
                doc_.locations.set_key(p, location(kv.first));
            } else {
                doc_.locations.set(p, location(kv.first));
            }
            out[key] = convert(kv.second, p, depth + 1);
        }
        for (const auto& merge : merges) apply_merge_key(out, merge, path, depth);
        return out;
    }

    // YAML merge keys (<<): keys written in the mapping win over merged ones, and earlier
    // merged mappings win over later ones (yaml.org/type/merge.html).
    void apply_merge_key(Tree& out, const YAML::Node& merge, const std::string& path,
                         size_t depth) {
        std::vector<YAML::Node> sources;
        if (merge.IsMap()) sources.push_back(merge);
        else if (merge.IsSequence())
            for (const auto& item : merge) sources.push_back(item);
        else
            sources.push_back(merge);  // a scalar or null: reported below, as go-yaml does
        for (const auto& source : sources) {
            if (!source.IsMap())
                fail(source, path, "map merge requires map or sequence of maps as the value");
            Tree merged = convert(source, path, depth + 1);
            for (auto& [key, value] : merged.items())
                if (!out.contains(key)) out[key] = std::move(value);
        }
    }

    // compose-go rejects keys that YAML 1.2 reads as numbers, booleans or null.
    std::string key_of(const YAML::Node& key, const std::string& path) {
        std::string where = path.empty() ? "at top level" : "in " + path;
        if (!key.IsScalar() && !key.IsNull()) fail(key, path, "non-string key " + where);
        const std::string& text = key.Scalar();
        if (key.Tag() == "?" && !plain_scalar(text).is_string())
            fail(key, path, fmt::format("non-string key {}: {}", where, text));
        return text;
    }

    Tree scalar(const YAML::Node& node) {
        const auto& tag = node.Tag();
        const std::string& text = node.Scalar();
        if (tag == "!" || tag == "tag:yaml.org,2002:str") return text;
        if (tag == "?" || tag == kResetTag || tag == kOverrideTag) return plain_scalar(text);
        if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
            tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null")
            return plain_scalar(text);
        return text;  // unknown tags keep the text, as go-yaml does for local tags
    }

    Document& doc_;
    const ParseLimits& limits_;
    size_t nodes_ = 0;
};

std::string yaml_error_message(const YAML::Exception& e) {
    // yaml-cpp prefixes msg with "yaml-cpp: error at line ..." in what(); msg is the bare text.
    return e.msg.empty() ? std::string("invalid YAML") : "invalid YAML: " + e.msg;
}

}  // namespace

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

Tree integer(const std::string& s, std::string_view digits, int base, bool negative) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::stod(s);
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
    if (is_float(s)) return std::stod(s);
    return s;  // .inf and .nan stay text: JSON cannot hold them and no compose key takes one
}

std::vector<Document> parse_yaml(std::string_view text, const std::string& file,
                                 const std::string& directory, const ParseLimits& limits) {
    if (text.size() > limits.max_bytes)
        throw schema::LoadError({file, 0, 0}, "",
                                fmt::format("file is larger than {} MiB", limits.max_bytes >> 20));
    if (auto bad = invalid_utf8_at(text); bad != std::string_view::npos)
        throw schema::LoadError(location_of_offset(file, text, bad), "",
                                "file is not UTF-8 text (binary data?)");
    std::vector<YAML::Node> nodes;
    try {
        std::string owned(text);
        std::istringstream stream(owned);
        YAML::Parser scanner(stream);
        AliasBudget budget(file, limits.max_nodes);
        while (scanner.HandleNextDocument(budget)) {
        }
        nodes = YAML::LoadAll(owned);
    } catch (const YAML::Exception& e) {
        Location at{file, e.mark.is_null() ? 0 : e.mark.line + 1,
                    e.mark.is_null() ? 0 : e.mark.column + 1};
        throw schema::LoadError(at, "", yaml_error_message(e));
    }
    std::vector<Document> documents;
    for (const auto& node : nodes) {
        Document doc{file, directory, {}, {}, {}};
        Converter converter(doc, limits);
        try {
            doc.locations.set("", converter.location(node));
            doc.tree = converter.convert(node, "", 0);
        } catch (const YAML::Exception& e) {
            throw schema::LoadError(converter.location(node), "", yaml_error_message(e));
        }
        documents.push_back(std::move(doc));
    }
    return documents;
}

}  // namespace compose
