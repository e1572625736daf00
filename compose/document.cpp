#include "compose/document.hpp"

#include <fmt/format.h>

namespace compose {

std::string child_path(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
}

std::string string_at(const Tree& node, const std::string& key, const std::string& fallback) {
    if (!node.is_object()) return fallback;
    auto it = node.find(key);
    return it != node.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool bool_at(const Tree& node, const std::string& key, bool fallback) {
    if (!node.is_object()) return fallback;
    auto it = node.find(key);
    return it != node.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::string item_path(const std::string& parent, size_t index) {
    return fmt::format("{}[{}]", parent, index);
}

namespace {
// The parent of "a.b[2].c" is "a.b[2]", of "a.b[2]" is "a.b", of "a" is "".
std::string parent_path(const std::string& path) {
    if (!path.empty() && path.back() == ']') {
        auto open = path.rfind('[');
        if (open != std::string::npos) return path.substr(0, open);
    }
    auto dot = path.rfind('.');
    return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

bool is_under(const std::string& path, const std::string& root) {
    if (path.compare(0, root.size(), root) != 0) return false;
    return path.size() == root.size() || path[root.size()] == '.' || path[root.size()] == '[';
}
}  // namespace

schema::Location SourceMap::find(const std::string& path) const {
    for (std::string p = path;; p = parent_path(p)) {
        auto it = at_.find(p);
        if (it != at_.end()) return it->second;
        if (p.empty()) return {};
    }
}

schema::Location SourceMap::find_key(const std::string& path) const {
    auto it = keys_.find(path);
    return it == keys_.end() ? find(path) : it->second;
}

namespace {
void copy_entries(std::map<std::string, schema::Location>& to_map,
                  const std::map<std::string, schema::Location>& source, const std::string& from,
                  const std::string& to) {
    // Collected first: when source is to_map and `to` lies under `from` (a key with a dot in
    // it looks like a child), inserting while iterating would never end.
    std::vector<std::pair<std::string, schema::Location>> copied;
    for (auto it = source.lower_bound(from); it != source.end(); ++it) {
        if (!is_under(it->first, from)) {
            if (it->first.compare(0, from.size(), from) != 0) break;
            continue;
        }
        copied.emplace_back(to + it->first.substr(from.size()), it->second);
    }
    for (auto& [path, at] : copied) to_map[std::move(path)] = std::move(at);
}

void erase_entries(std::map<std::string, schema::Location>& map, const std::string& path) {
    for (auto it = map.lower_bound(path); it != map.end();) {
        if (is_under(it->first, path)) {
            it = map.erase(it);
        } else if (it->first.compare(0, path.size(), path) == 0) {
            ++it;  // a sibling sharing the prefix ("ab" after "a"); later entries may still match
        } else {
            break;
        }
    }
}
}  // namespace

void SourceMap::copy_subtree(const SourceMap& source, const std::string& from,
                             const std::string& to) {
    copy_entries(at_, source.at_, from, to);
    copy_entries(keys_, source.keys_, from, to);
}

void SourceMap::erase_subtree(const std::string& path) {
    erase_entries(at_, path);
    erase_entries(keys_, path);
}

void SourceMap::overlay(const SourceMap& other) {
    for (const auto& [path, at] : other.at_) at_[path] = at;
    for (const auto& [path, at] : other.keys_) keys_[path] = at;
}

}  // namespace compose
