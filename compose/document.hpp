#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "schema/location.hpp"

namespace compose {

/// The untyped model every loader stage works on: YAML turned into JSON, key order kept.
using Tree = nlohmann::json;

/// A key path, dots plus [i]: "services.web.ports[1]". Mapping keys that contain dots or
/// brackets are written as they are; paths are for locating and reporting, not for parsing.
std::string child_path(const std::string& parent, const std::string& key);
std::string item_path(const std::string& parent, size_t index);

/// Where each value of a tree came from, by key path. A path without its own entry takes the
/// location of its nearest recorded ancestor, so a value made by a stage still points somewhere.
class SourceMap {
public:
    void set(const std::string& path, schema::Location at) { at_[path] = std::move(at); }
    /// The location of `path`, or of its nearest ancestor; an unknown location if none.
    schema::Location find(const std::string& path) const;
    /// Records where the key naming `path` is written, when that is not where find(path)
    /// points: `image: x` is located at its value, `imgae` is reported at the key.
    void set_key(const std::string& path, schema::Location at) { keys_[path] = std::move(at); }
    /// The location of the key naming `path`, else find(path).
    schema::Location find_key(const std::string& path) const;
    /// Copies every entry under `from` (itself included) to the same place under `to`.
    void copy_subtree(const SourceMap& source, const std::string& from, const std::string& to);
    /// Adds every entry of `other`, replacing ours on equal paths (the later file wins).
    void overlay(const SourceMap& other);
    /// Removes every entry under `path`, itself included (a value that was dropped or replaced).
    void erase_subtree(const std::string& path);
    const std::map<std::string, schema::Location>& entries() const { return at_; }

private:
    using Map = std::map<std::string, schema::Location>;
    Map at_;
    Map keys_;  ///< key locations that differ from at_'s, by the same paths
};

/// The string at `key` of a mapping, or `fallback` when it is missing or not a string. Stages
/// before validation see any shape, so they read fields only through these.
std::string string_at(const Tree& node, const std::string& key, const std::string& fallback = "");
/// The boolean at `key` of a mapping, or `fallback` when it is missing or not a boolean.
bool bool_at(const Tree& node, const std::string& key, bool fallback);

/// The YAML tags that change how an override file merges (compose-spec 13-merge.md).
enum class MergeTag { reset, override_ };

/// One YAML document of one compose file, as parsed.
struct Document {
    std::string file;       ///< path as the user named it ("-" for stdin)
    std::string directory;  ///< absolute directory relative paths in this file resolve against
    Tree tree;
    SourceMap locations;
    std::map<std::string, MergeTag> tags;  ///< key path -> !reset / !override found there

    /// A diagnostic located at `path` in this document.
    schema::Diagnostic diagnostic(const std::string& path, std::string message) const {
        return {locations.find(path), path, std::move(message)};
    }
};

}  // namespace compose
