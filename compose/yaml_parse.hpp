#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "compose/document.hpp"

namespace compose {

/// Limits that keep hostile input (alias bombs, huge files) from exhausting memory or stack.
struct ParseLimits {
    size_t max_bytes = 64u << 20;      ///< input size
    size_t max_nodes = 4'000'000;      ///< values after aliases and merge keys are expanded
    size_t max_depth = 500;            ///< nesting of mappings and sequences
};

/// Parses every YAML document of `text` (YAML 1.2 core schema: `no`/`on` stay strings) into
/// trees with a location per key. Aliases and `<<` merge keys are expanded; `!reset` and
/// `!override` are recorded in Document::tags. Throws schema::LoadError naming file:line:col
/// for malformed YAML, duplicate keys, non-scalar keys, invalid UTF-8 or exceeded limits.
std::vector<Document> parse_yaml(std::string_view text, const std::string& file,
                                 const std::string& directory, const ParseLimits& limits = {});

/// The YAML 1.2 core-schema value of an untagged plain scalar: null, bool, int, float or string.
Tree plain_scalar(const std::string& text);

}  // namespace compose
