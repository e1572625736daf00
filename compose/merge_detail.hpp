#pragma once

// Internals shared by merge.cpp (mappings, special keys) and merge_lists.cpp (sequences,
// KEY=VAL collections, unicity). Not part of the loader's interface.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "compose/document.hpp"
#include "schema/keys.hpp"

namespace compose::detail {

/// A schema path: mapping keys, "[]" for any item of a sequence.
using Segments = std::vector<std::string>;

/// One merge of an override value onto a base value placed at the same key path.
struct MergeContext {
    SourceMap& locations;                          ///< the base's; updated to the winner's
    const SourceMap& over_locations;               ///< the override's
    const std::map<std::string, MergeTag>& tags;   ///< the override's !reset / !override
};

/// Merges `over` onto `base`, both at `path` (schema path `seg`), by the rule of that key.
void merge_node(MergeContext& ctx, Tree& base, const Tree& over, const std::string& path,
                Segments& seg);

/// Replaces `dst` with `src` (the override wins wholesale), locations included.
void take(MergeContext& ctx, Tree& dst, const Tree& src, const std::string& path);

/// Removes the mapping keys under `value` (at `path`) that `tags` mark `!reset`.
void strip_resets(Tree& value, const std::string& path,
                  const std::map<std::string, MergeTag>& tags, SourceMap& locations);

/// Merge::unique and Merge::by_key: `over` appended to `base`, items of equal identity
/// collapsed at the first one's position with the later value.
void merge_sequence(MergeContext& ctx, Tree& base, const Tree& over, const std::string& path,
                    const Segments& seg, const schema::KeySpec& spec);

/// Merge::to_map: KEY=VAL lists or mappings merged by KEY; the override's value wins, null too.
void merge_to_map(MergeContext& ctx, Tree& base, const Tree& over, const std::string& path);

/// Collapses duplicate items of every unique/by_key sequence under `node` (compose-go
/// EnforceUnicity), so duplicates inside one file behave like duplicates across files.
void enforce_unicity(Tree& node, SourceMap& locations, Segments& seg, const std::string& path);

/// True when `seg` matches `pattern` ("services.*.build"); "*" matches one segment.
bool segments_match(const Segments& seg, std::string_view pattern);

}  // namespace compose::detail
