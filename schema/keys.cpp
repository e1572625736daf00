#include "schema/keys.hpp"

#include <map>
#include <mutex>
#include <memory>
#include <set>

#include "schema/keys_table.hpp"

namespace schema {
namespace {

const std::vector<KeySpec>& all_keys() {
    static const std::vector<KeySpec> all = [] {
        std::vector<KeySpec> out;
        for (auto section : {table::project_keys, table::service_keys, table::build_deploy_keys,
                             table::service_nested_keys}) {
            auto part = section();
            out.insert(out.end(), std::make_move_iterator(part.begin()),
                       std::make_move_iterator(part.end()));
        }
        return out;
    }();
    return all;
}

// The table as a tree of segments, so a lookup costs one step per segment. "*" and "[]" are
// ordinary child names here; matching gives them their meaning.
struct Node {
    const KeySpec* spec = nullptr;
    std::map<std::string, std::unique_ptr<Node>> children;
};

const Node& root() {
    static const Node built = [] {
        Node r;
        for (const auto& k : all_keys()) {
            Node* at = &r;
            for (const auto& seg : split_pattern(k.pattern)) {
                auto& child = at->children[seg];
                if (!child) child = std::make_unique<Node>();
                at = child.get();
            }
            at->spec = &k;
        }
        return r;
    }();
    return built;
}

}  // namespace

Cursor Cursor::root() {
    Cursor c;
    c.nodes_.push_back(&schema::root());
    return c;
}

Cursor Cursor::child(const std::string& key) const {
    Cursor out;
    for (const void* n : nodes_) {
        const auto& children = static_cast<const Node*>(n)->children;
        if (auto it = children.find(key); it != children.end()) out.nodes_.push_back(it->second.get());
    }
    for (const void* n : nodes_) {
        const auto& children = static_cast<const Node*>(n)->children;
        if (auto it = children.find("*"); it != children.end()) out.nodes_.push_back(it->second.get());
    }
    return out;
}

Cursor Cursor::item() const {
    Cursor out;
    for (const void* n : nodes_) {
        const auto& children = static_cast<const Node*>(n)->children;
        if (auto it = children.find("[]"); it != children.end()) out.nodes_.push_back(it->second.get());
    }
    return out;
}

const KeySpec* Cursor::spec() const {
    for (const void* n : nodes_)
        if (const auto* s = static_cast<const Node*>(n)->spec) return s;
    return nullptr;
}

std::vector<std::string> split_pattern(std::string_view pattern) {
    std::vector<std::string> out;
    std::string current;
    for (char c : pattern) {
        if (c == '.') {
            out.push_back(current);
            current.clear();
        } else if (c == '[') {
            out.push_back(current);
            current.clear();
            current.push_back('[');  // GCC 12 warns (-Wrestrict, falsely) on `current = "["`
        } else {
            current += c;
        }
    }
    out.push_back(current);
    std::erase(out, std::string());
    return out;
}

const std::vector<KeySpec>& keys() {
    return all_keys();
}

Cursor Cursor::at(const std::vector<std::string>& segments) {
    auto cursor = root();
    for (const auto& segment : segments)
        cursor = segment == "[]" ? cursor.item() : cursor.child(segment);
    return cursor;
}

const KeySpec* find(const std::vector<std::string>& segments) {
    return Cursor::at(segments).spec();
}

namespace {

// The validator asks for every mapping it visits; the answer depends only on the schema
// nodes reached, so it is computed once per set of nodes.
const std::vector<std::string>& fixed_keys(const std::vector<const void*>& nodes) {
    static std::mutex mutex;
    static std::map<std::vector<const void*>, std::vector<std::string>> cache;
    std::lock_guard lock(mutex);
    auto [it, inserted] = cache.try_emplace(nodes);
    if (!inserted) return it->second;
    std::set<std::string> out;
    for (const void* node : nodes)
        for (const auto& [name, child] : static_cast<const Node*>(node)->children)
            if (name != "*" && name != "[]") out.insert(name);
    it->second.assign(out.begin(), out.end());
    return it->second;  // std::map never moves its values: the reference stays valid
}

}  // namespace

const std::vector<std::string>& Cursor::keys() const { return fixed_keys(nodes_); }

std::vector<std::string> child_keys(const std::vector<std::string>& segments) {
    return Cursor::at(segments).keys();
}

}  // namespace schema
