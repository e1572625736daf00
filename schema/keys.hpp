#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schema {

/// The JSON types a key accepts, as a bit set.
enum TypeBits : unsigned {
    kNull = 1u << 0,
    kBoolean = 1u << 1,
    kInteger = 1u << 2,
    kNumber = 1u << 3,  ///< any number, integers included
    kString = 1u << 4,
    kMapping = 1u << 5,
    kSequence = 1u << 6,
};

/// How an override file's value for a key combines with the base value (compose-spec 13-merge.md).
enum class Merge {
    deep,       ///< mappings merged key by key, scalars replaced, sequences appended
    replace,    ///< the override replaces the base wholesale (command, entrypoint, healthcheck.test)
    to_map,     ///< list of KEY=VAL or mapping; merged by KEY, later wins (environment, labels)
    unique,     ///< sequence appended, duplicates dropped (cap_add, dns, profiles)
    by_key,     ///< sequence of items merged by an identity (ports, volumes by target, secrets)
};
// Merge rules sit on the key that owns the value (services.*.ports), never inside list items:
// items are kept or replaced whole. For by_key, merge_key names the item field that identifies
// an item ("target", "path", "subnet"); the special key "ports" means a port's
// (host_ip, published, target, protocol). For deep, a merge_key (logging: "driver") means
// "merge only when both sides agree on that field, otherwise the override replaces".
// For unique, items are the same when equal, or, with merge_key "=", when their text before
// the first '=' is ("/tmp:size=64m" replaces "/tmp:size=32m" in tmpfs, compose-go's
// keyValueIndexer); security_opt ("label=...") and cache_from ("type=...") repeat a prefix.

/// A type conversion applied after interpolation, so "${REPLICAS}" becomes an integer.
enum class Cast {
    none,
    to_int,
    to_float,
    to_bool,
    to_file_mode,  ///< octal digits, as compose-go's toUnixFileMode reads secret/config modes
};

/// Whether berth acts on a key or only accepts and reports it.
enum class Support {
    supported,
    accepted,  ///< parsed, validated, kept in `config`; the message says what berth does not do
};

/// Whether a key's value is a filesystem path that is relative to the file declaring it.
enum class PathKind {
    none,
    path,         ///< a path; "~" means the user's home
    context,      ///< a build context: a path unless it is a URL (git, http, docker-image://...)
    bind_source,  ///< a mount source: a path only when the mount's `type` is "bind"
};

/// One key of the compose format. `pattern` names it by path: mapping keys are literal,
/// "*" stands for any user-chosen name, "[]" for any item of a sequence:
/// "services.*.ports[].target".
struct KeySpec {
    std::string_view pattern;
    unsigned types = 0;
    Merge merge = Merge::deep;
    std::string_view merge_key = {};               ///< identity for Merge::by_key, e.g. "target"
    std::vector<std::string_view> values = {};     ///< allowed string values, empty: any
    std::string_view name_pattern = {};            ///< regex for the "*" names under this key
    Cast cast = Cast::none;
    std::string_view normalizer = {};              ///< id of the short->long normalizer, if any
    PathKind path = PathKind::none;
    Support support = Support::supported;
    std::string_view note = {};                    ///< for `accepted` keys: what users are told

    // Rules upstream's JSON schema expresses, checked by compose::validate.
    std::vector<std::string_view> required = {};   ///< keys a mapping value must have
    std::vector<std::string_view> one_of = {};     ///< a mapping value needs at least one of these
    std::string_view value_pattern = {};           ///< ECMAScript regex a string must contain
    bool unique_items = false;                     ///< a sequence value must not repeat an item
    /// "x-*" keys may sit beside the fixed keys of a mapping value. Irrelevant for mappings of
    /// user-chosen names: there "x-foo" is a name like any other (a service may be "x-foo").
    bool extensions = true;
    std::optional<double> minimum = {};            ///< bounds for a numeric value
    std::optional<double> maximum = {};
};

/// Value kinds combined often enough to name.
inline constexpr unsigned kScalar = kString | kNumber | kBoolean;
inline constexpr unsigned kListOrMap = kSequence | kMapping;

/// A position in the key table while walking a tree alongside it: one step per key or list
/// item, without matching whole paths again. Empty once the tree leaves the table (extension
/// keys, unknown keys).
class Cursor {
public:
    /// The top level of a compose file.
    static Cursor root();
    /// The position of a concrete path given as segments, list items as "[]".
    static Cursor at(const std::vector<std::string>& segments);
    /// The position of mapping key `key` under this one ("*" patterns included).
    Cursor child(const std::string& key) const;
    /// The position of any item of the sequence at this one.
    Cursor item() const;
    /// The spec of this position (a literal key before "*"), or nullptr.
    const KeySpec* spec() const;
    /// The fixed key names under this position, sorted (no "*" or "[]").
    const std::vector<std::string>& keys() const;
    bool empty() const { return nodes_.empty(); }

private:
    std::vector<const void*> nodes_;  // schema tree nodes, literal matches first
};

/// Every key berth knows, in a fixed order.
const std::vector<KeySpec>& keys();

/// The spec for a concrete path given as segments ("services", "web", "ports", "[]"); list
/// indexes must be passed as "[]". nullptr for an unknown key.
const KeySpec* find(const std::vector<std::string>& segments);

/// A pattern split into segments: "a.*.b[].c" -> {"a", "*", "b", "[]", "c"}.
std::vector<std::string> split_pattern(std::string_view pattern);

/// The names of the fixed keys directly under the key at `segments` (for did-you-mean and
/// unknown-key checks); empty when the key takes user-chosen names.
std::vector<std::string> child_keys(const std::vector<std::string>& segments);

}  // namespace schema
