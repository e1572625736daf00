#include "schema/keys.hpp"

#include <map>
#include <set>

namespace schema {
namespace {

constexpr unsigned kScalar = kString | kNumber | kBoolean;
constexpr unsigned kListOrMap = kSequence | kMapping;

// The one description of the compose format. Keep entries grouped by parent and ordered
// as in the compose specification.
const std::vector<KeySpec> kKeys = {
    {.pattern = "version", .types = kString | kNumber},
    {.pattern = "name", .types = kString},
    {.pattern = "include", .types = kSequence},
    {.pattern = "services", .types = kMapping, .name_pattern = "^[a-zA-Z0-9._-]+$"},
    {.pattern = "networks", .types = kMapping | kNull},
    {.pattern = "volumes", .types = kMapping | kNull},
    {.pattern = "secrets", .types = kMapping | kNull},
    {.pattern = "configs", .types = kMapping | kNull},
    {.pattern = "models", .types = kMapping | kNull},

    {.pattern = "services.*", .types = kMapping | kNull},
    {.pattern = "services.*.image", .types = kString},
    {.pattern = "services.*.command", .types = kString | kSequence | kNull, .merge = Merge::replace},
    {.pattern = "services.*.entrypoint", .types = kString | kSequence | kNull, .merge = Merge::replace},
    {.pattern = "services.*.environment", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "services.*.labels", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "services.*.ports", .types = kSequence, .merge = Merge::by_key, .merge_key = "ports"},
    {.pattern = "services.*.volumes", .types = kSequence, .merge = Merge::by_key, .merge_key = "target"},
    {.pattern = "services.*.healthcheck.test", .types = kString | kSequence, .merge = Merge::replace},
    {.pattern = "services.*.cap_add", .types = kSequence, .merge = Merge::unique},
    {.pattern = "services.*.dns", .types = kString | kSequence, .merge = Merge::unique},
    {.pattern = "services.*.build.context", .types = kString, .path = PathKind::context},

    // Merge rules of compose-go override/merge.go and uncity.go (stage c; to reconcile with
    // the full table).
    {.pattern = "services.*.annotations", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "services.*.build.args", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "services.*.build.labels", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "services.*.build.additional_contexts", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "services.*.build.tags", .types = kSequence, .merge = Merge::unique},
    {.pattern = "services.*.build.platforms", .types = kSequence, .merge = Merge::unique},
    {.pattern = "services.*.cap_drop", .types = kSequence, .merge = Merge::unique},
    {.pattern = "services.*.configs", .types = kSequence, .merge = Merge::by_key, .merge_key = "target"},
    {.pattern = "services.*.deploy.labels", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "services.*.devices", .types = kSequence, .merge = Merge::by_key, .merge_key = "target"},
    {.pattern = "services.*.dns_opt", .types = kSequence, .merge = Merge::unique},
    {.pattern = "services.*.dns_search", .types = kString | kSequence, .merge = Merge::unique},
    {.pattern = "services.*.env_file", .types = kString | kSequence, .merge = Merge::by_key, .merge_key = "path"},
    {.pattern = "services.*.expose", .types = kSequence, .merge = Merge::unique},
    {.pattern = "services.*.links", .types = kSequence, .merge = Merge::unique},
    {.pattern = "services.*.networks.*.aliases", .types = kSequence, .merge = Merge::unique},
    {.pattern = "services.*.networks.*.link_local_ips", .types = kSequence, .merge = Merge::unique},
    {.pattern = "services.*.profiles", .types = kSequence, .merge = Merge::unique},
    {.pattern = "services.*.secrets", .types = kSequence, .merge = Merge::by_key, .merge_key = "target"},
    {.pattern = "services.*.sysctls", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "services.*.tmpfs", .types = kString | kSequence, .merge = Merge::unique},
    {.pattern = "services.*.ulimits.*", .types = kInteger | kString | kMapping, .merge = Merge::replace},
    {.pattern = "networks.*.labels", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "networks.*.ipam.config", .types = kSequence, .merge = Merge::by_key, .merge_key = "subnet"},
    {.pattern = "volumes.*.labels", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "secrets.*.labels", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "configs.*.labels", .types = kListOrMap, .merge = Merge::to_map},
    {.pattern = "models.*.runtime_flags", .types = kSequence, .merge = Merge::replace},
    {.pattern = "services.*.env_file[].path", .types = kString, .path = PathKind::path},
    {.pattern = "services.*.volumes[].source", .types = kString, .path = PathKind::bind_source},
    {.pattern = "services.*.extends.file", .types = kString, .path = PathKind::path},
    {.pattern = "secrets.*.file", .types = kString, .path = PathKind::path},
    {.pattern = "configs.*.file", .types = kString, .path = PathKind::path},
};

std::vector<std::string> split_pattern(std::string_view pattern) {
    std::vector<std::string> out;
    std::string current;
    for (char c : pattern) {
        if (c == '.') {
            out.push_back(current);
            current.clear();
        } else if (c == '[') {
            out.push_back(current);
            current = "[";
        } else {
            current += c;
        }
    }
    out.push_back(current);
    std::erase(out, std::string());
    return out;
}

struct Index {
    std::vector<std::pair<std::vector<std::string>, const KeySpec*>> entries;
};

const Index& index() {
    static const Index built = [] {
        Index idx;
        for (const auto& k : kKeys) idx.entries.emplace_back(split_pattern(k.pattern), &k);
        return idx;
    }();
    return built;
}

bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& path) {
    if (pattern.size() != path.size()) return false;
    for (size_t i = 0; i < path.size(); ++i) {
        if (pattern[i] == "*" ? path[i] == "[]" : pattern[i] != path[i]) return false;
    }
    return true;
}

}  // namespace

const std::vector<KeySpec>& keys() { return kKeys; }

const KeySpec* find(const std::vector<std::string>& segments) {
    // Literal keys win over "*" (a service named "image" is still a service).
    const KeySpec* wildcard = nullptr;
    for (const auto& [pattern, spec] : index().entries) {
        if (!matches(pattern, segments)) continue;
        bool literal = true;
        for (const auto& p : pattern) literal = literal && p != "*";
        if (literal) return spec;
        if (!wildcard) wildcard = spec;
    }
    return wildcard;
}

std::vector<std::string> child_keys(const std::vector<std::string>& segments) {
    std::set<std::string> out;
    for (const auto& [pattern, spec] : index().entries) {
        if (pattern.size() != segments.size() + 1) continue;
        std::vector<std::string> parent(pattern.begin(), pattern.end() - 1);
        if (matches(parent, segments) && pattern.back() != "*" && pattern.back() != "[]")
            out.insert(pattern.back());
    }
    return {out.begin(), out.end()};
}

}  // namespace schema
