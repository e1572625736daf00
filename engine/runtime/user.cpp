#include "engine/runtime/user.hpp"

#include <charconv>
#include <optional>
#include <sstream>

#include <fmt/format.h>

namespace engine::runtime {
namespace {

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, sep)) parts.push_back(part);
    if (!text.empty() && text.back() == sep) parts.emplace_back();
    return parts;
}

std::optional<unsigned> number(const std::string& text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// One line of /etc/passwd or /etc/group split into its fields; comments and short lines skipped.
std::vector<std::vector<std::string>> records(const std::string& text, size_t min_fields) {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        auto fields = split(line, ':');
        if (fields.size() >= min_fields) out.push_back(std::move(fields));
    }
    return out;
}

// A passwd entry matched by name, or by uid when `spec` is numeric.
const std::vector<std::string>* find_entry(const std::vector<std::vector<std::string>>& entries,
                                           const std::string& spec, size_t id_field) {
    for (const auto& e : entries)
        if (e[0] == spec) return &e;
    if (auto n = number(spec))
        for (const auto& e : entries)
            if (number(e[id_field]) == n) return &e;
    return nullptr;
}

Result<gid_t> group_id(const std::vector<std::vector<std::string>>& groups, const std::string& spec) {
    if (const auto* g = find_entry(groups, spec, 2)) {
        if (auto gid = number((*g)[2])) return static_cast<gid_t>(*gid);
    }
    if (auto n = number(spec)) return static_cast<gid_t>(*n);
    return Error{ENOENT, fmt::format("unable to find group {}: no matching entries in group file", spec)};
}

void add_group(ExecUser& user, gid_t gid) {
    for (gid_t g : user.groups)
        if (g == gid) return;
    user.groups.push_back(gid);
}

}  // namespace

Result<ExecUser> resolve_user(const std::string& user, const std::vector<std::string>& group_add,
                              const std::string& passwd, const std::string& group) {
    std::string user_part = user, group_part;
    if (auto colon = user.find(':'); colon != std::string::npos) {
        user_part = user.substr(0, colon);
        group_part = user.substr(colon + 1);
    }
    if (user_part.empty()) user_part = "0";
    auto users = records(passwd, 7);
    auto groups = records(group, 4);

    ExecUser out;
    std::string name;
    if (const auto* u = find_entry(users, user_part, 2)) {
        name = (*u)[0];
        out.uid = number((*u)[2]).value_or(0);
        out.gid = number((*u)[3]).value_or(0);
        out.home = (*u)[5].empty() ? "/" : (*u)[5];
    } else if (auto n = number(user_part)) {
        out.uid = *n;
    } else {
        return Error{ENOENT, fmt::format("unable to find user {}: no matching entries in passwd file",
                                         user_part)};
    }
    if (!group_part.empty()) {
        auto gid = group_id(groups, group_part);
        if (!gid) return gid.error();
        out.gid = gid.value();
    }
    // The primary group is also the first supplementary one (Docker, Podman and containerd since
    // CVE-2022-36109), so dropping it with setgroups cannot bypass a group's denial.
    out.groups.push_back(out.gid);
    if (group_part.empty() && !name.empty()) {
        // Memberships from /etc/group apply only when no group was named, as in Docker.
        for (const auto& g : groups)
            for (const auto& member : split(g[3], ','))
                if (member == name)
                    if (auto gid = number(g[2])) add_group(out, *gid);
    }
    for (const auto& extra : group_add) {
        auto gid = group_id(groups, extra);
        if (!gid) return gid.error();
        add_group(out, gid.value());
    }
    return out;
}

Result<std::string> find_executable(const std::string& program, const std::string& path_env,
                                    const std::function<bool(const std::string&)>& is_executable) {
    if (program.find('/') != std::string::npos) return program;
    for (const auto& dir : split(path_env, ':')) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
        if (is_executable(candidate)) return candidate;
    }
    return Error{ENOENT, fmt::format("exec: \"{}\": executable file not found in $PATH", program)};
}

std::string env_value(const std::vector<std::string>& env, const std::string& key,
                      const std::string& fallback) {
    for (const auto& entry : env)
        if (entry.size() > key.size() && entry.compare(0, key.size(), key) == 0 &&
            entry[key.size()] == '=')
            return entry.substr(key.size() + 1);
    return fallback;
}

}  // namespace engine::runtime
