#pragma once

#include <string>
#include <vector>

#include "compose/document.hpp"

namespace compose {

/// Merges `override` onto `base` by the compose merge rules (compose-spec 13-merge.md,
/// compose-go override/merge.go and uncity.go), on canonical (long syntax) trees:
/// mappings merge key by key, scalars and Merge::replace keys are replaced, sequences are
/// appended (Merge::unique / Merge::by_key ones without duplicates, the first position kept),
/// Merge::to_map collections merge by KEY. `!reset` in the override removes the key, `!override`
/// replaces it wholesale. A value of an unexpected shape is replaced, never an error.
/// Locations follow the value that wins. `base` keeps its file, directory and tags.
void merge_into(Document& base, const Document& override);

/// The model of several documents (the -f files, in order, each document of a multi-document
/// file in turn): the first one with its `!reset` keys removed and duplicates collapsed, then
/// merge_into() of each following one. The result has no tags left.
Document merge_documents(std::vector<Document> documents);

/// Merges the value of `from` at `path` (schema path `at`, e.g. {"services", "web"}) onto
/// `base`, a value placed at the same path whose locations are `base_locations`; `from`'s tags
/// apply. Used by extends to merge a service onto the one it extends.
void merge_value(Tree& base, SourceMap& base_locations, const Document& from,
                 const std::string& path, const std::vector<std::string>& at);

/// Collapses duplicate items of the unique/by_key sequences under `value` (at `path`, schema
/// path `at`), keeping the first position and the last value (compose-go EnforceUnicity).
void enforce_unicity(Tree& value, SourceMap& locations, const std::string& path,
                     const std::vector<std::string>& at);

}  // namespace compose
