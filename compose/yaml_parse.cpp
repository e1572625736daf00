// Builds compose Documents straight from yaml-cpp's parser events, in one pass:
//
//   text ─> UTF-8 check ─> YAML::Parser ─events─> TreeBuilder ─> Document{tree, locations, tags}
//
// Building from events rather than YAML::LoadAll gives every value its mark, lets aliases be
// counted before they are expanded (an alias bomb is refused in linear time), and avoids
// LoadAll's endless loop on some malformed streams (a lone "," yields empty documents forever:
// yaml-cpp issue 1040), since parsing stops at the first empty document.
#include "compose/yaml_parse.hpp"

#include <map>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/anchor.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

namespace compose {
namespace {

using schema::Location;

constexpr const char* kResetTag = "!reset";
constexpr const char* kOverrideTag = "!override";
constexpr const char* kMergeError = "map merge requires map or sequence of maps as the value";

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

/// The typed value of a scalar event: quoted and !!str scalars are strings, plain ones (and
/// !reset/!override/!!int ...) resolve by the YAML 1.2 core schema.
Tree scalar_value(const std::string& tag, const std::string& text) {
    if (tag == "!" || tag == "tag:yaml.org,2002:str") return text;
    if (tag == "?" || tag == kResetTag || tag == kOverrideTag || tag.rfind("tag:yaml.org,2002:", 0) == 0)
        return plain_scalar(text);
    return text;  // unknown local tags keep the text, as go-yaml does
}

class TreeBuilder : public YAML::EventHandler {
public:
    TreeBuilder(const std::string& file, const std::string& directory, const ParseLimits& limits)
        : file_(file), directory_(directory), limits_(limits) {}

    std::vector<Document> documents;
    bool last_root_was_null = false;

    void OnDocumentStart(const YAML::Mark& mark) override {
        doc_ = Document{file_, directory_, nullptr, {}, {}};
        doc_.locations.set("", location(mark));
        stack_.clear();
        last_root_was_null = false;
    }
    void OnDocumentEnd() override { documents.push_back(std::move(doc_)); }
    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        if (stack_.empty()) last_root_was_null = true;
        leaf(mark, "?", anchor, nullptr);
    }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        leaf(mark, tag, anchor, value);
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override;
    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(mark, tag, anchor, false);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(mark, tag, anchor, true);
    }
    void OnMapEnd() override { close(); }

private:
    struct Frame {
        Tree value;
        bool mapping = false;
        std::string path;
        YAML::anchor_t anchor = 0;
        size_t first_node = 0;  // nodes_ when the collection opened, to size its anchor
        bool have_key = false;
        bool key_is_merge = false;
        std::string key;
        YAML::Mark key_mark;
        std::vector<std::pair<Tree, std::string>> merges;  // "<<" values and their paths
        YAML::Mark merge_mark;
    };
    struct Anchored {
        Tree value;
        std::string path;
        size_t nodes = 1;
    };

    Location location(const YAML::Mark& mark) const {
        if (mark.is_null()) return {file_, 0, 0};
        return {file_, mark.line + 1, mark.column + 1};
    }

    [[noreturn]] void fail(const YAML::Mark& mark, const std::string& path, std::string message) {
        throw schema::LoadError(location(mark), path, std::move(message));
    }

    bool expecting_key() const { return !stack_.empty() && stack_.back().mapping && !stack_.back().have_key; }

    std::string next_path() const {
        if (stack_.empty()) return "";
        const Frame& top = stack_.back();
        if (!top.mapping) return item_path(top.path, top.value.size());
        return child_path(top.path, top.key_is_merge ? "<<" : top.key);
    }

    // Where a value is reported: a scalar at itself, a collection under a key at its key.
    void record(const std::string& path, const YAML::Mark& mark, const std::string& tag,
                bool collection) {
        bool under_key = !stack_.empty() && stack_.back().mapping;
        doc_.locations.set(path, location(collection && under_key ? stack_.back().key_mark : mark));
        // A scalar is located at its value; its key's own place is kept for key errors.
        if (!collection && under_key) doc_.locations.set_key(path, location(stack_.back().key_mark));
        if (tag == kResetTag) doc_.tags[path] = MergeTag::reset;
        if (tag == kOverrideTag) doc_.tags[path] = MergeTag::override_;
    }

    void count(const YAML::Mark& mark, size_t n) {
        nodes_ += n;
        if (nodes_ > limits_.max_nodes)
            fail(mark, "", fmt::format("excessive aliasing: the document expands to more than {} "
                                       "values", limits_.max_nodes));
    }

    void key(const YAML::Mark& mark, const std::string& tag, const Tree& text) {
        Frame& top = stack_.back();
        std::string where = top.path.empty() ? "at top level" : "in " + top.path;
        if (text.is_null()) fail(mark, top.path, "non-string key " + where);
        const std::string& name = text.get_ref<const std::string&>();
        if (tag == "?" && !plain_scalar(name).is_string())
            fail(mark, top.path, fmt::format("non-string key {}: {}", where, name));
        top.key_is_merge = name == "<<" && tag == "?";
        if (top.key_is_merge) top.merge_mark = mark;
        if (!top.key_is_merge && top.value.contains(name)) {
            auto path = child_path(top.path, name);
            fail(mark, path, fmt::format("mapping key \"{}\" already defined at line {}", name,
                                         doc_.locations.find(path).line));
        }
        top.key = name;
        top.key_mark = mark;
        top.have_key = true;
    }

    void leaf(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
              const Tree& text) {
        if (expecting_key()) return key(mark, tag, text);
        count(mark, 1);
        auto path = next_path();
        record(path, mark, tag, false);
        Tree value = text.is_null() ? Tree(nullptr) : scalar_value(tag, text.get<std::string>());
        if (anchor) anchors_[anchor] = {value, path, 1};
        attach(std::move(value), path);
    }

    void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
              bool mapping) {
        if (expecting_key()) fail(mark, stack_.back().path, "mapping keys must be strings");
        if (stack_.size() >= limits_.max_depth)
            fail(mark, next_path(), fmt::format("nesting deeper than {} levels", limits_.max_depth));
        count(mark, 1);
        auto path = next_path();
        record(path, mark, tag, true);
        Frame frame;
        frame.value = mapping ? Tree::object() : Tree::array();
        frame.mapping = mapping;
        frame.path = path;
        frame.anchor = anchor;
        frame.first_node = nodes_;
        stack_.push_back(std::move(frame));
    }

    void close() {
        Frame frame = std::move(stack_.back());
        stack_.pop_back();
        if (frame.mapping) apply_merges(frame);
        if (frame.anchor)
            anchors_[frame.anchor] = {frame.value, frame.path, nodes_ - frame.first_node + 1};
        attach(std::move(frame.value), frame.path);
    }

    void attach(Tree value, const std::string& path) {
        if (stack_.empty()) {
            doc_.tree = std::move(value);
            return;
        }
        Frame& top = stack_.back();
        if (!top.mapping) {
            top.value.push_back(std::move(value));
        } else if (top.key_is_merge) {
            top.merges.emplace_back(std::move(value), path);
        } else {
            top.value[top.key] = std::move(value);
        }
        top.have_key = top.key_is_merge = false;
    }

    // YAML merge keys (<<): keys written in the mapping win over merged ones, and earlier
    // merged mappings win over later ones (yaml.org/type/merge.html).
    void apply_merges(Frame& frame) {
        for (auto& [merged, from] : frame.merges) {
            if (merged.is_object()) {
                merge_one(frame, merged, from);
                continue;
            }
            if (!merged.is_array()) fail(frame.merge_mark, frame.path, kMergeError);
            for (size_t i = 0; i < merged.size(); ++i) {
                if (!merged[i].is_object()) fail(frame.merge_mark, frame.path, kMergeError);
                merge_one(frame, merged[i], item_path(from, i));
            }
        }
    }

    void merge_one(Frame& frame, const Tree& source, const std::string& from) {
        for (auto it = source.begin(); it != source.end(); ++it) {
            if (frame.value.contains(it.key())) continue;
            frame.value[it.key()] = it.value();
            doc_.locations.copy_subtree(doc_.locations, child_path(from, it.key()),
                                        child_path(frame.path, it.key()));
        }
    }

    const std::string& file_;
    const std::string& directory_;
    const ParseLimits& limits_;
    Document doc_;
    std::vector<Frame> stack_;
    std::map<YAML::anchor_t, Anchored> anchors_;
    size_t nodes_ = 0;
};

void TreeBuilder::OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (expecting_key()) fail(mark, stack_.back().path, "mapping keys must be strings");
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) fail(mark, next_path(), "alias of an anchor that is not complete");
    count(mark, it->second.nodes);
    if (!stack_.empty() && stack_.back().mapping && stack_.back().key_is_merge) {
        // "<<: *anchor": merge_one copies locations straight from the anchor's own path.
        attach(it->second.value, it->second.path);
        return;
    }
    auto path = next_path();
    doc_.locations.copy_subtree(doc_.locations, it->second.path, path);
    attach(it->second.value, path);
}

Location yaml_location(const std::string& file, const YAML::Mark& mark) {
    if (mark.is_null()) return {file, 0, 0};
    return {file, mark.line + 1, mark.column + 1};
}

std::string yaml_error_message(const YAML::Exception& e) {
    return e.msg.empty() ? std::string("invalid YAML") : "invalid YAML: " + e.msg;
}

}  // namespace

std::vector<Document> parse_yaml(std::string_view text, const std::string& file,
                                 const std::string& directory, const ParseLimits& limits) {
    if (text.size() > limits.max_bytes)
        throw schema::LoadError({file, 0, 0}, "",
                                fmt::format("file is larger than {} MiB", limits.max_bytes >> 20));
    if (auto bad = invalid_utf8_at(text); bad != std::string_view::npos)
        throw schema::LoadError(location_of_offset(file, text, bad), "",
                                "file is not UTF-8 text (binary data?)");
    std::istringstream stream{std::string(text)};
    TreeBuilder builder(file, directory, limits);
    try {
        YAML::Parser parser(stream);
        while (parser.HandleNextDocument(builder) && !builder.last_root_was_null) {
        }
    } catch (const YAML::DeepRecursion& e) {
        // yaml-cpp's own guard (500 levels) reports "bad file"; say what it means.
        throw schema::LoadError(yaml_location(file, e.mark), "",
                                fmt::format("nesting deeper than {} levels", e.depth()));
    } catch (const YAML::Exception& e) {
        throw schema::LoadError(yaml_location(file, e.mark), "", yaml_error_message(e));
    }
    return std::move(builder.documents);
}

}  // namespace compose
