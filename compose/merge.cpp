#include "compose/merge.hpp"

#include <algorithm>

#include "compose/merge_detail.hpp"

namespace compose {
namespace detail {
namespace {

std::optional<MergeTag> tag_at(const std::map<std::string, MergeTag>& tags,
                               const std::string& path) {
    auto it = tags.find(path);
    if (it == tags.end()) return std::nullopt;
    return it->second;
}

bool has_tag_under(const std::map<std::string, MergeTag>& tags, const std::string& path) {
    auto it = tags.lower_bound(path);
    return it != tags.end() && it->first.compare(0, path.size(), path) == 0;
}

// Short forms that compose-go expands before merging, in case a value reaches the merge
// before canonicalization did: `build: ctx`, `depends_on: [a]`, `networks: [a]`.
Tree expanded(const Tree& v, const Segments& seg) {
    if (segments_match(seg, "services.*.build") && v.is_string()) return {{"context", v}};
    if (!v.is_array()) return v;
    Tree fill;
    if (segments_match(seg, "services.*.depends_on"))
        fill = {{"condition", "service_started"}, {"required", true}};
    else if (!segments_match(seg, "services.*.networks") &&
             !segments_match(seg, "services.*.models"))
        return v;
    Tree out = Tree::object();
    for (const auto& name : v)
        if (name.is_string()) out[name.get<std::string>()] = fill;
    return out;
}

// Host names may map to several addresses; both files' addresses are kept, each once.
void merge_extra_hosts(MergeContext& ctx, Tree& base, const Tree& over, const std::string& path) {
    auto append_new = [](Tree& into, const Tree& values) {
        for (const auto& v : values.is_array() ? values : Tree::array({values}))
            if (std::find(into.begin(), into.end(), v) == into.end()) into.push_back(v);
    };
    if (base.is_array() && over.is_array()) {
        append_new(base, over);
        return;
    }
    if (!base.is_object() || !over.is_object()) return take(ctx, base, over, path);
    for (auto it = over.begin(); it != over.end(); ++it) {
        Tree& host = base[it.key()];
        if (host.is_null() || host == it.value()) {
            host = it.value();
            continue;
        }
        if (!host.is_array()) host = Tree::array({host});
        append_new(host, it.value());
    }
}

void merge_mapping(MergeContext& ctx, Tree& base, const Tree& over, const std::string& path,
                   Segments& seg) {
    for (auto it = over.begin(); it != over.end(); ++it) {
        const auto& key = it.key();
        auto child = child_path(path, key);
        auto tag = tag_at(ctx.tags, child);
        if (tag == MergeTag::reset) {
            base.erase(key);
            ctx.locations.erase_subtree(child);
        } else if (tag == MergeTag::override_ || !base.contains(key)) {
            take(ctx, base[key], it.value(), child);
        } else {
            seg.push_back(key);
            merge_node(ctx, base[key], it.value(), child, seg);
            seg.pop_back();
        }
    }
}

// The keys compose-go merges by a rule of their own (its mergeSpecials). True when handled.
bool merge_special(MergeContext& ctx, Tree& base, const Tree& over, const std::string& path,
                   Segments& seg) {
    if (seg.size() == 1 && seg[0] == "name") {
        // The project name comes from the last file that sets a non-empty one.
        if (over != "") take(ctx, base, over, path);
        return true;
    }
    if (segments_match(seg, "services.*.extra_hosts") ||
        segments_match(seg, "services.*.build.extra_hosts")) {
        merge_extra_hosts(ctx, base, over, path);
        return true;
    }
    if (segments_match(seg, "services.*.logging") && base.is_object() && over.is_object()) {
        // Options of one driver mean nothing to another: a new driver takes its own options.
        auto b = base.find("driver");
        auto o = over.find("driver");
        if (b != base.end() && o != over.end() && *b != *o) take(ctx, base, over, path);
        else merge_mapping(ctx, base, over, path, seg);
        return true;
    }
    const bool short_form = segments_match(seg, "services.*.build") ||
                            segments_match(seg, "services.*.depends_on") ||
                            segments_match(seg, "services.*.networks") ||
                            segments_match(seg, "services.*.models");
    if (!short_form) return false;
    Tree b = expanded(base, seg);
    Tree o = expanded(over, seg);
    if (!b.is_object() || !o.is_object()) return false;
    base = std::move(b);
    merge_mapping(ctx, base, o, path, seg);
    return true;
}

}  // namespace

bool segments_match(const Segments& seg, std::string_view pattern) {
    size_t i = 0;
    while (!pattern.empty()) {
        auto dot = pattern.find('.');
        auto part = pattern.substr(0, dot);
        if (i >= seg.size() || (part != "*" && part != seg[i])) return false;
        ++i;
        pattern = dot == std::string_view::npos ? std::string_view() : pattern.substr(dot + 1);
    }
    return i == seg.size();
}

void take(MergeContext& ctx, Tree& dst, const Tree& src, const std::string& path) {
    dst = src;
    ctx.locations.erase_subtree(path);
    ctx.locations.copy_subtree(ctx.over_locations, path, path);
    strip_resets(dst, path, ctx.tags, ctx.locations);
}

void strip_resets(Tree& value, const std::string& path,
                  const std::map<std::string, MergeTag>& tags, SourceMap& locations) {
    if (!has_tag_under(tags, path)) return;
    if (value.is_array()) {
        for (size_t i = 0; i < value.size(); ++i)
            strip_resets(value[i], item_path(path, i), tags, locations);
        return;
    }
    if (!value.is_object()) return;
    std::vector<std::string> reset;
    for (auto it = value.begin(); it != value.end(); ++it) {
        auto child = child_path(path, it.key());
        if (tag_at(tags, child) == MergeTag::reset) reset.push_back(it.key());
        else strip_resets(it.value(), child, tags, locations);
    }
    for (const auto& key : reset) {
        value.erase(key);
        locations.erase_subtree(child_path(path, key));
    }
}

void merge_node(MergeContext& ctx, Tree& base, const Tree& over, const std::string& path,
                Segments& seg) {
    const auto* spec = schema::find(seg);
    auto rule = spec ? spec->merge : schema::Merge::deep;
    // compose-go: a null override keeps the base, except where the override always wins.
    if (over.is_null() && rule != schema::Merge::replace) return;
    if (base.is_null()) return take(ctx, base, over, path);
    if (merge_special(ctx, base, over, path, seg)) return;
    switch (rule) {
    case schema::Merge::replace:
        return take(ctx, base, over, path);
    case schema::Merge::to_map:
        return merge_to_map(ctx, base, over, path);
    case schema::Merge::unique:
    case schema::Merge::by_key:
        return merge_sequence(ctx, base, over, path, seg, *spec);
    case schema::Merge::deep:
        break;
    }
    if (base.is_object() && over.is_object()) return merge_mapping(ctx, base, over, path, seg);
    if (!base.is_array() || !over.is_array()) return take(ctx, base, over, path);
    const size_t offset = base.size();
    for (size_t i = 0; i < over.size(); ++i) {
        Tree item = over[i];
        SourceMap scratch;  // stripped keys leave stale entries nobody looks up
        strip_resets(item, item_path(path, i), ctx.tags, scratch);
        base.push_back(std::move(item));
        ctx.locations.copy_subtree(ctx.over_locations, item_path(path, i),
                                   item_path(path, offset + i));
    }
}

void merge_root(MergeContext& ctx, Tree& base, const Tree& over) {
    if (!over.is_object()) return;  // an empty document changes nothing
    if (!base.is_object()) base = Tree::object();
    Segments seg;
    merge_mapping(ctx, base, over, "", seg);
}

}  // namespace detail

void merge_into(Document& base, const Document& override) {
    detail::MergeContext ctx{base.locations, override.locations, override.tags};
    detail::merge_root(ctx, base.tree, override.tree);
    detail::Segments seg;
    detail::enforce_unicity(base.tree, base.locations, seg, "");
}

Document merge_documents(std::vector<Document> documents) {
    if (documents.empty()) return Document{.tree = Tree::object()};
    Document out = std::move(documents.front());
    if (!out.tree.is_object()) out.tree = Tree::object();
    detail::strip_resets(out.tree, "", out.tags, out.locations);
    // Each file is made unique once; merge_sequence keeps merged lists unique, so the whole
    // model need not be walked again after every file (compose-go does, at O(files x model)).
    detail::Segments seg;
    detail::enforce_unicity(out.tree, out.locations, seg, "");
    for (size_t i = 1; i < documents.size(); ++i) {
        Document& over = documents[i];
        detail::enforce_unicity(over.tree, over.locations, seg, "");
        detail::MergeContext ctx{out.locations, over.locations, over.tags};
        detail::merge_root(ctx, out.tree, over.tree);
    }
    out.tags.clear();
    return out;
}

void merge_value(Tree& base, SourceMap& base_locations, const Document& from,
                 const std::string& path, const std::vector<std::string>& at) {
    const Tree* over = &from.tree;
    for (const auto& key : at) {
        if (!over->is_object() || !over->contains(key)) return;
        over = &(*over)[key];
    }
    detail::MergeContext ctx{base_locations, from.locations, from.tags};
    detail::Segments seg(at.begin(), at.end());
    detail::merge_node(ctx, base, *over, path, seg);
}

void enforce_unicity(Tree& value, SourceMap& locations, const std::string& path,
                     const std::vector<std::string>& at) {
    detail::Segments seg(at.begin(), at.end());
    detail::enforce_unicity(value, locations, seg, path);
}

}  // namespace compose
