// Sequences and KEY=VAL collections of the merge (compose-go override/merge.go mergeToSequence
// and override/uncity.go): the identity of an item decides which items collapse.

#include <functional>

#include <fmt/format.h>

#include "compose/merge_detail.hpp"

namespace compose::detail {
namespace {

using Identity = std::function<std::optional<std::string>(const Tree&)>;

std::string text(const Tree& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string text_or(const Tree& item, const char* key, const char* fallback) {
    auto it = item.find(key);
    return it == item.end() || it->is_null() ? fallback : text(*it);
}

// "KEY=VAL" and "KEY" are the same item: tmpfs "/tmp:size=64m", links "svc=alias".
std::optional<std::string> key_value_identity(const Tree& item) {
    if (!item.is_string()) return item.dump();
    const auto& s = item.get_ref<const std::string&>();
    return s.substr(0, s.find('='));
}

// compose-go portIndexer: (host_ip, published, target, protocol) with engine defaults.
std::optional<std::string> port_identity(const Tree& item) {
    if (!item.is_object()) return text(item);
    if (!item.contains("target")) return std::nullopt;
    return fmt::format("{}:{}:{}/{}", text_or(item, "host_ip", "0.0.0.0"),
                       text_or(item, "published", ""), text(item["target"]),
                       text_or(item, "protocol", "tcp"));
}

// Mounts are keyed by where they land in the container. A secret or config without target
// lands at its default place, so `- foo` and `{source: foo}` are the same mount.
Identity target_identity(const std::string& kind) {
    std::string fallback = kind == "secrets" ? "/run/secrets/" : kind == "configs" ? "/" : "";
    return [fallback](const Tree& item) -> std::optional<std::string> {
        if (item.is_object()) {
            auto target = item.find("target");
            if (target != item.end() && target->is_string()) return target->get<std::string>();
            auto source = item.find("source");
            if (!fallback.empty() && source != item.end()) return fallback + text(*source);
            return std::nullopt;
        }
        if (!item.is_string()) return item.dump();
        const auto& s = item.get_ref<const std::string&>();
        if (!fallback.empty()) return fallback + s;
        auto colon = s.find(':');  // "src:/target[:mode]", or a lone target
        if (colon == std::string::npos) return s;
        return s.substr(colon + 1, s.find(':', colon + 1) - colon - 1);
    };
}

Identity field_identity(std::string field) {
    return [field](const Tree& item) -> std::optional<std::string> {
        if (!item.is_object()) return text(item);
        auto it = item.find(field);
        if (it == item.end()) return std::nullopt;
        return text(*it);
    };
}

Identity identity_for(const schema::KeySpec& spec, const Segments& seg) {
    if (spec.merge == schema::Merge::unique && spec.merge_key == "=") return key_value_identity;
    if (spec.merge_key == "ports") return port_identity;
    if (spec.merge_key == "target") return target_identity(seg.empty() ? "" : seg.back());
    if (!spec.merge_key.empty()) return field_identity(std::string(spec.merge_key));
    return [](const Tree& item) -> std::optional<std::string> { return item.dump(); };
}

// A value in list position: a lone scalar is a one-item list, null an empty one.
Tree as_list(const Tree& v) {
    if (v.is_null()) return Tree::array();
    if (v.is_array() || v.is_object()) return v;
    return Tree::array({v});
}

// Mappings merged without locations, for IPAM pools whose items merge key by key.
void deep_merge_plain(Tree& base, const Tree& over) {
    if (!base.is_object() || !over.is_object()) {
        if (!over.is_null()) base = over;
        return;
    }
    for (auto it = over.begin(); it != over.end(); ++it) {
        if (base.contains(it.key())) deep_merge_plain(base[it.key()], it.value());
        else base[it.key()] = it.value();
    }
}

struct Origin {
    bool from_override;
    size_t index;
};

struct Item {
    Tree value;
    std::vector<Origin> origins;  ///< where its locations come from, later ones win
};

// Puts the items' locations at their new indexes; the key's own location stays.
void relocate(MergeContext& ctx, const std::vector<Item>& items, const std::string& path) {
    bool unchanged = true;  // the common case: every base item kept in place, nothing added
    for (size_t k = 0; k < items.size() && unchanged; ++k)
        unchanged = items[k].origins.size() == 1 && !items[k].origins[0].from_override &&
                    items[k].origins[0].index == k;
    if (unchanged) return;
    SourceMap old;
    old.copy_subtree(ctx.locations, path, path);
    ctx.locations.erase_subtree(path);
    auto own = old.entries().find(path);
    if (own != old.entries().end()) ctx.locations.set(path, own->second);
    for (size_t k = 0; k < items.size(); ++k) {
        for (const auto& origin : items[k].origins) {
            const auto& from = origin.from_override ? ctx.over_locations : old;
            ctx.locations.copy_subtree(from, item_path(path, origin.index), item_path(path, k));
        }
    }
}

}  // namespace

void merge_sequence(MergeContext& ctx, Tree& base, const Tree& over, const std::string& path,
                    const Segments& seg, const schema::KeySpec& spec) {
    Tree b = as_list(base);
    Tree o = as_list(over);
    if (!b.is_array() || !o.is_array()) return take(ctx, base, over, path);
    auto identity = identity_for(spec, seg);
    // compose-go merges IPAM pools of one subnet key by key; other items replace each other.
    const bool deep_items = spec.merge_key == "subnet";
    std::vector<Item> items;
    std::map<std::string, size_t> seen;
    auto add = [&](Tree value, Origin origin) {
        auto key = identity(value);
        auto it = key ? seen.find(*key) : seen.end();
        if (it == seen.end()) {
            if (key) seen.emplace(*key, items.size());
            items.push_back({std::move(value), {origin}});
            return;
        }
        Item& kept = items[it->second];
        if (deep_items) {
            deep_merge_plain(kept.value, value);
            kept.origins.push_back(origin);
        } else {
            kept = {std::move(value), {origin}};
        }
    };
    for (size_t j = 0; j < b.size(); ++j) add(b[j], {false, j});
    for (size_t i = 0; i < o.size(); ++i) {
        Tree value = o[i];
        SourceMap scratch;  // stripped keys leave stale entries nobody looks up
        strip_resets(value, item_path(path, i), ctx.tags, scratch);
        add(std::move(value), {true, i});
    }
    relocate(ctx, items, path);
    base = Tree::array();
    for (auto& item : items) base.push_back(std::move(item.value));
}

namespace {

struct Entry {
    std::string key;
    Tree value;
    std::string at;  ///< where the entry is in its own document
};

// KEY=VAL items or a mapping as entries; nullopt for any other shape.
std::optional<std::vector<Entry>> entries_of(const Tree& v, const std::string& path) {
    std::vector<Entry> out;
    if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it)
            out.push_back({it.key(), it.value(), child_path(path, it.key())});
        return out;
    }
    if (!v.is_array()) return v.is_null() ? std::optional(out) : std::nullopt;
    for (size_t i = 0; i < v.size(); ++i) {
        std::string s = text(v[i]);
        auto eq = s.find('=');
        Tree value = eq == std::string::npos ? Tree() : Tree(s.substr(eq + 1));
        out.push_back({s.substr(0, eq), std::move(value), item_path(path, i)});
    }
    return out;
}

}  // namespace

void merge_to_map(MergeContext& ctx, Tree& base, const Tree& over, const std::string& path) {
    auto b = entries_of(base, path);
    auto o = entries_of(over, path);
    if (!b || !o) return take(ctx, base, over, path);
    if (!base.is_object()) {
        // A list turned into a mapping: its by-index locations no longer name anything.
        Tree converted = Tree::object();
        for (auto& e : *b) converted[e.key] = std::move(e.value);
        base = std::move(converted);
    }
    for (auto& e : *o) {
        auto child = child_path(path, e.key);
        auto tag = ctx.tags.find(child);
        ctx.locations.erase_subtree(child);
        if (tag != ctx.tags.end() && tag->second == MergeTag::reset) {
            base.erase(e.key);
            continue;
        }
        base[e.key] = std::move(e.value);
        ctx.locations.set(child, ctx.over_locations.find(e.at));
    }
}

void enforce_unicity(Tree& node, SourceMap& locations, Segments& seg, const std::string& path) {
    if (node.is_object()) {
        for (auto it = node.begin(); it != node.end(); ++it) {
            seg.push_back(it.key());
            enforce_unicity(it.value(), locations, seg, child_path(path, it.key()));
            seg.pop_back();
        }
        return;
    }
    if (!node.is_array()) return;
    const auto* spec = schema::find(seg);
    if (spec && (spec->merge == schema::Merge::unique || spec->merge == schema::Merge::by_key)) {
        const SourceMap none;
        const std::map<std::string, MergeTag> no_tags;
        MergeContext ctx{locations, none, no_tags};
        merge_sequence(ctx, node, Tree::array(), path, seg, *spec);
    }
    seg.push_back("[]");
    for (size_t i = 0; i < node.size(); ++i)
        enforce_unicity(node[i], locations, seg, item_path(path, i));
    seg.pop_back();
}

}  // namespace compose::detail
