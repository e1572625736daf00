#pragma once

// Internal to canonicalize: the shared state and the per-concern rules it applies.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "compose/document.hpp"
#include "schema/location.hpp"

namespace compose::canonical {

/// The document being rewritten and the problems found so far.
class Context {
public:
    Context(Document& doc, bool lenient, bool fill_defaults)
        : doc_(doc), lenient_(lenient), fill_defaults_(fill_defaults) {}

    /// Records a malformed value at `path`.
    void fail(const std::string& path, std::string message) {
        errors_.push_back(doc_.diagnostic(path, std::move(message)));
    }
    /// True when unparsable values are kept instead of reported.
    bool lenient() const { return lenient_; }
    bool fill_defaults() const { return fill_defaults_; }
    /// Gives `to` the location of `from` (a list item that became a mapping entry, ...).
    void relocate(const std::string& from, const std::string& to) {
        doc_.locations.set(to, doc_.locations.find(from));
    }
    Document& doc() { return doc_; }
    std::vector<schema::Diagnostic>& errors() { return errors_; }

private:
    Document& doc_;
    bool lenient_;
    bool fill_defaults_;
    std::vector<schema::Diagnostic> errors_;
};

/// How a KEY=VAL list or mapping treats a key without a value.
enum class Bare {
    null,   ///< environment, build.args: the key stays unset (null) until resolved
    empty,  ///< labels, annotations, sysctls, options: the key maps to ""
};

/// `value` (a KEY=VAL list or a mapping) as a mapping of strings; other types are left alone.
void to_mapping(Context& c, Tree& value, const std::string& path, Bare bare);
/// A string becomes a one-item list.
void string_to_list(Tree& value);
/// parent[key], when it is a duration string or number, printed Go-style.
void duration(Context& c, Tree& parent, const char* key, const std::string& path);
/// parent[key], when it is a byte size string or integer, as a decimal string of bytes.
void byte_size(Context& c, Tree& parent, const char* key, const std::string& path);
/// extra_hosts: a list of "host:ip"/"host=ip" or a mapping -> sorted "host=ip" list.
void extra_hosts(Context& c, Tree& value, const std::string& path);

/// services.*.ports, volumes, devices, secrets, configs (canonical_mounts.cpp).
void ports(Context& c, Tree& service, const std::string& path);
void volumes(Context& c, Tree& service, const std::string& path);
void devices(Context& c, Tree& service, const std::string& path);
void file_references(Tree& service, const char* key);

/// `external: {name: x}` (deprecated) becomes `name: x` + `external: true`.
void relocate_external_name(Context& c, Tree& resource, const std::string& path);
/// An external volume or network may not also set driver, driver_opts or labels.
void external_conflicts(Context& c, Tree& resource, const std::string& path);

/// Fills `condition` and `required` of long-form depends_on entries.
void depends_on_defaults(Tree& depends_on);

/// A short->long rewrite, applied to parent[key]; `path` is the parent's path.
using Normalizer = void (*)(Context& c, Tree& parent, const std::string& key,
                            const std::string& path);

/// The rewrites by the id the key table names them with (schema::KeySpec::normalizer).
const std::map<std::string_view, Normalizer>& normalizers();

}  // namespace compose::canonical
