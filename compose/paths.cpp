#include "compose/paths.hpp"

#include <filesystem>

#include "schema/keys.hpp"

namespace compose {
namespace fs = std::filesystem;

namespace {

bool is_relative(const std::string& value, schema::PathKind kind) {
    if (value.empty() || value.front() == '/') return false;
    if (kind == schema::PathKind::context && is_remote_context(value)) return false;
    return true;
}

void rewrite(Tree& node, const schema::Cursor& at, const PathRewrite& fn, const Tree* parent) {
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            auto next = at.child(it.key());
            if (!next.empty()) rewrite(it.value(), next, fn, &node);
        }
        return;
    }
    if (node.is_array()) {
        auto items = at.item();
        if (items.empty()) return;
        for (auto& item : node) rewrite(item, items, fn, &node);
        return;
    }
    if (!node.is_string()) return;
    const auto* spec = at.spec();
    if (!spec || spec->path == schema::PathKind::none) return;
    if (spec->path == schema::PathKind::bind_source &&
        !(parent && parent->is_object() && string_at(*parent, "type") == "bind"))
        return;
    const auto& value = node.get_ref<const std::string&>();
    if (is_relative(value, spec->path)) node = fn(value);
}

}  // namespace

void rewrite_relative_paths(Tree& node, std::vector<std::string> at, const PathRewrite& fn) {
    rewrite(node, schema::Cursor::at(at), fn, nullptr);
}

std::string absolute_path(const std::string& path, const std::string& base,
                          const std::string& home) {
    fs::path p;
    if (path == "~") p = home;
    else if (path.rfind("~/", 0) == 0) p = fs::path(home) / path.substr(2);
    else if (!path.empty() && path.front() == '/') p = path;
    else p = fs::path(base) / path;
    auto normal = p.lexically_normal().string();
    if (normal.size() > 1 && normal.back() == '/') normal.pop_back();
    return normal;
}

bool is_remote_context(const std::string& context) {
    for (const char* prefix : {"http://", "https://", "git://", "git@", "ssh://", "github.com/",
                               "docker-image://", "oci-layout://", "target:", "service:"})
        if (context.rfind(prefix, 0) == 0) return true;
    return false;
}

}  // namespace compose
