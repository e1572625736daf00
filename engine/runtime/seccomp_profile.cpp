#include "engine/runtime/seccomp_profile.hpp"

#include <sys/utsname.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace engine::runtime {
namespace {

using nlohmann::json;

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// "sys_admin", "CAP_SYS_ADMIN" and "cap_sys_admin" name the same capability.
std::string cap_key(const std::string& name) {
    std::string u = upper(name);
    return u.rfind("CAP_", 0) == 0 ? u : "CAP_" + u;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

bool has_cap(const std::vector<std::string>& caps, const std::string& cap) {
    std::string key = cap_key(cap);
    return std::any_of(caps.begin(), caps.end(), [&](const auto& c) { return cap_key(c) == key; });
}

// "major.minor[.patch…]" compared numerically on major and minor.
bool kernel_at_least(const std::string& kernel, const std::string& minimum) {
    int km = 0, kn = 0, mm = 0, mn = 0;
    std::sscanf(kernel.c_str(), "%d.%d", &km, &kn);
    std::sscanf(minimum.c_str(), "%d.%d", &mm, &mn);
    return km != mm ? km > mm : kn >= mn;
}

Result<SeccompAction> parse_action(const std::string& name) {
    static const std::pair<const char*, SeccompAction> kActions[] = {
        {"SCMP_ACT_KILL", SeccompAction::kKillThread},  {"SCMP_ACT_KILL_THREAD", SeccompAction::kKillThread},
        {"SCMP_ACT_KILL_PROCESS", SeccompAction::kKillProcess}, {"SCMP_ACT_TRAP", SeccompAction::kTrap},
        {"SCMP_ACT_ERRNO", SeccompAction::kErrno},       {"SCMP_ACT_TRACE", SeccompAction::kTrace},
        {"SCMP_ACT_ALLOW", SeccompAction::kAllow},       {"SCMP_ACT_LOG", SeccompAction::kLog},
    };
    for (const auto& [text, action] : kActions)
        if (name == text) return action;
    return Error{EINVAL, fmt::format("unknown seccomp action \"{}\"", name)};
}

Result<SeccompOp> parse_op(const std::string& name) {
    static const std::pair<const char*, SeccompOp> kOps[] = {
        {"SCMP_CMP_NE", SeccompOp::kNotEqual},     {"SCMP_CMP_LT", SeccompOp::kLessThan},
        {"SCMP_CMP_LE", SeccompOp::kLessEqual},    {"SCMP_CMP_EQ", SeccompOp::kEqualTo},
        {"SCMP_CMP_GE", SeccompOp::kGreaterEqual}, {"SCMP_CMP_GT", SeccompOp::kGreaterThan},
        {"SCMP_CMP_MASKED_EQ", SeccompOp::kMaskedEqual},
    };
    for (const auto& [text, op] : kOps)
        if (name == text) return op;
    return Error{EINVAL, fmt::format("unknown seccomp operator \"{}\"", name)};
}

// "SCMP_ARCH_X86_64" → "x86_64", libseccomp's spelling.
Result<std::string> parse_arch(const std::string& name) {
    if (name.rfind("SCMP_ARCH_", 0) != 0) return Error{EINVAL, fmt::format("unknown seccomp architecture \"{}\"", name)};
    std::string arch = name.substr(10);
    for (char& c : arch) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return arch;
}

std::string native_scmp_arch() {
#if defined(__x86_64__)
    return "x86_64";
#elif defined(__aarch64__)
    return "aarch64";
#elif defined(__s390x__)
    return "s390x";
#else
    return "";
#endif
}

std::vector<std::string> strings(const json& j, const char* key) {
    std::vector<std::string> out;
    if (j.contains(key) && j.at(key).is_array())
        for (const auto& v : j.at(key)) out.push_back(v.get<std::string>());
    return out;
}

SeccompCondition parse_condition(const json& j) {
    SeccompCondition c;
    if (!j.is_object()) return c;
    c.caps = strings(j, "caps");
    c.arches = strings(j, "arches");
    if (j.contains("minKernel") && j.at("minKernel").is_string()) c.min_kernel = j.at("minKernel").get<std::string>();
    return c;
}

Result<SeccompRule> parse_rule(const json& j) {
    SeccompRule rule;
    rule.names = strings(j, "names");
    if (j.contains("name") && j.at("name").is_string()) rule.names.push_back(j.at("name").get<std::string>());
    auto action = parse_action(j.value("action", std::string()));
    if (!action) return action.error();
    rule.action = action.value();
    if (j.contains("errnoRet") && !j.at("errnoRet").is_null()) rule.errno_ret = j.at("errnoRet").get<int>();
    if (j.contains("args") && j.at("args").is_array())
        for (const auto& a : j.at("args")) {
            auto op = parse_op(a.value("op", std::string()));
            if (!op) return op.error();
            rule.args.push_back({a.value("index", 0u), a.value("value", std::uint64_t{0}),
                                 a.value("valueTwo", std::uint64_t{0}), op.value()});
        }
    if (j.contains("includes")) rule.includes = parse_condition(j.at("includes"));
    if (j.contains("excludes")) rule.excludes = parse_condition(j.at("excludes"));
    return rule;
}

// Docker's archMap: the native architecture's entry and its sub-architectures.
Result<std::vector<std::string>> parse_arches(const json& doc) {
    std::vector<std::string> arches;
    std::string native = native_scmp_arch();
    if (doc.contains("archMap") && doc.at("archMap").is_array()) {
        for (const auto& entry : doc.at("archMap")) {
            auto arch = parse_arch(entry.value("architecture", std::string()));
            if (!arch) return arch.error();
            if (arch.value() != native) continue;
            arches.push_back(arch.value());
            for (const auto& sub : strings(entry, "subArchitectures")) {
                auto s = parse_arch(sub);
                if (!s) return s.error();
                arches.push_back(s.value());
            }
        }
        return arches;
    }
    for (const auto& name : strings(doc, "architectures")) {
        auto arch = parse_arch(name);
        if (!arch) return arch.error();
        arches.push_back(arch.value());
    }
    return arches;
}

Result<SeccompProfile> parse_document(const json& doc) {
    if (!doc.is_object()) return Error{EINVAL, "a profile must be a JSON object"};
    SeccompProfile profile;
    if (!doc.contains("defaultAction")) return Error{EINVAL, "missing \"defaultAction\""};
    auto action = parse_action(doc.at("defaultAction").get<std::string>());
    if (!action) return action.error();
    profile.default_action = action.value();
    if (doc.contains("defaultErrnoRet") && !doc.at("defaultErrnoRet").is_null())
        profile.default_errno = doc.at("defaultErrnoRet").get<int>();
    auto arches = parse_arches(doc);
    if (!arches) return arches.error();
    profile.arches = std::move(arches).value();
    if (doc.contains("syscalls") && doc.at("syscalls").is_array())
        for (const auto& entry : doc.at("syscalls")) {
            auto rule = parse_rule(entry);
            if (!rule) return rule.error();
            profile.rules.push_back(std::move(rule).value());
        }
    return profile;
}

bool included(const SeccompCondition& c, const SeccompContext& ctx) {
    if (!c.arches.empty() && !contains(c.arches, ctx.arch)) return false;
    for (const auto& cap : c.caps)
        if (!has_cap(ctx.caps, cap)) return false;
    if (!c.min_kernel.empty() && !kernel_at_least(ctx.kernel, c.min_kernel)) return false;
    return true;
}

bool excluded(const SeccompCondition& c, const SeccompContext& ctx) {
    if (!c.arches.empty() && contains(c.arches, ctx.arch)) return true;
    for (const auto& cap : c.caps)
        if (has_cap(ctx.caps, cap)) return true;
    if (!c.min_kernel.empty() && kernel_at_least(ctx.kernel, c.min_kernel)) return true;
    return false;
}

std::string native_go_arch() {
#if defined(__x86_64__)
    return "amd64";
#elif defined(__aarch64__)
    return "arm64";
#elif defined(__s390x__)
    return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    return "riscv64";
#else
    return "";
#endif
}

}  // namespace

Result<SeccompProfile> parse_seccomp_profile(const std::string& json_text) {
    // nlohmann reports through exceptions; none may leave this function (it runs in the
    // container child before exec).
    try {
        json doc = json::parse(json_text, nullptr, false);
        if (doc.is_discarded()) return Error{EINVAL, "parse seccomp profile: invalid JSON"};
        return parse_document(doc).context("parse seccomp profile");
    } catch (const json::exception& e) {
        return Error{EINVAL, fmt::format("parse seccomp profile: {}", e.what())};
    }
}

SeccompContext host_seccomp_context(const std::vector<std::string>& caps) {
    SeccompContext ctx{caps, native_go_arch(), ""};
    struct utsname u {};
    if (::uname(&u) == 0) ctx.kernel = u.release;
    return ctx;
}

std::vector<const SeccompRule*> applicable_rules(const SeccompProfile& profile, const SeccompContext& context) {
    std::vector<const SeccompRule*> out;
    for (const auto& rule : profile.rules)
        if (included(rule.includes, context) && !excluded(rule.excludes, context)) out.push_back(&rule);
    return out;
}

}  // namespace engine::runtime
